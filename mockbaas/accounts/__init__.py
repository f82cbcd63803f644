"""Accounts: the API key is the account."""
