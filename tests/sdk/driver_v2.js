// Calls every method of @meeting-baas/sdk 6.x's v2 client against a running mock and prints
// one JSON document: [{method, success, status, code, data}, ...].
//
//   node driver_v2.js BASE_URL API_KEY
//
// Only the given base URL is contacted (a loopback mock). The control API of the same mock
// moves its virtual clock, so a bot has a recording by the time its details are read.
"use strict";

const [, , baseUrl, apiKey] = process.argv;
const { createBaasClient } = require("./node_modules/sdk6");

const client = createBaasClient({
  api_key: apiKey,
  base_url: baseUrl,
  api_version: "v2",
  timeout: 10000,
});
const results = [];
const MEET = "https://meet.google.com/abc-defg-hij";
// the mock's manual clock starts at 2025-01-06T09:00:00Z
const LATER = "2025-01-06T12:00:00.000Z";

async function call(method, ...args) {
  if (typeof client[method] !== "function") {
    results.push({ method, success: false, status: null, code: "MISSING", data: null });
    return null;
  }
  const outcome = await client[method](...args);
  results.push({
    method,
    success: outcome.success === true,
    status: outcome.success ? null : outcome.statusCode,
    code: outcome.success ? null : outcome.code,
    message: outcome.success ? null : outcome.message || null,
    details: outcome.success ? null : outcome.details || null,
    data: outcome.success ? outcome : null,
  });
  return outcome.success ? outcome.data : null;
}

async function advance(seconds) {
  await fetch(`${baseUrl}/_mockbaas/clock/advance`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ seconds }),
  });
}

async function main() {
  // bots
  const created = await call("createBot", {
    bot_name: "SDK v2",
    meeting_url: MEET,
    extra: { sdk: "v2" },
    transcription_enabled: true,
  });
  const botId = created && created.bot_id;
  await call("batchCreateBots", [{ bot_name: "SDK batch", meeting_url: MEET }]);
  await call("getBotStatus", { bot_id: botId });
  await advance(3600);
  await call("getBotDetails", { bot_id: botId });
  await call("listBots", { limit: 10 });
  await call("getBotScreenshots", { bot_id: botId, limit: 5 });
  await call("resendFinalWebhook", { bot_id: botId });
  await call("retryCallback", {
    bot_id: botId,
    callbackConfig: { url: "http://127.0.0.1:1/sdk-callback", method: "POST" },
  });
  await call("updateBotConfig", { bot_id: botId, body: { extra: { more: 1 } } });
  await call("deleteBotData", { bot_id: botId });
  // a second bot, still in its call, to leave (not recorded: createBot is once per run)
  const live = await client.createBot({ bot_name: "SDK leaver", meeting_url: MEET });
  await call("leaveBot", { bot_id: live.success ? live.data.bot_id : null });

  // scheduled bots
  const scheduled = await call("createScheduledBot", {
    bot_name: "SDK scheduled",
    meeting_url: MEET,
    join_at: LATER,
  });
  const scheduledId = scheduled && scheduled.bot_id;
  await call("batchCreateScheduledBots", [
    { bot_name: "SDK scheduled batch", meeting_url: MEET, join_at: LATER },
  ]);
  await call("listScheduledBots", { limit: 10 });
  await call("getScheduledBot", { bot_id: scheduledId });
  await call("updateScheduledBot", { bot_id: scheduledId, body: { bot_name: "SDK renamed" } });
  await call("deleteScheduledBot", { bot_id: scheduledId });

  // calendars
  const creds = {
    calendar_platform: "google",
    oauth_client_id: "sdk-client",
    oauth_client_secret: "sdk-secret",
    oauth_refresh_token: "sdk-refresh-v2",
  };
  const raw = await call("listRawCalendars", creds);
  const connection = await call("createCalendarConnection", {
    ...creds,
    raw_calendar_id: raw && raw[0].id,
  });
  const calendarId = connection && connection.calendar_id;
  await call("listCalendars", { limit: 10 });
  await call("getCalendarDetails", { calendar_id: calendarId });
  await call("syncCalendar", { calendar_id: calendarId });
  await call("resubscribeCalendar", { calendar_id: calendarId });
  const events = await call("listEvents", { calendar_id: calendarId, query: { limit: 50, show_cancelled: true } });
  await call("listEventSeries", { calendar_id: calendarId, query: { limit: 50, show_cancelled: true } });
  const target = (events || []).find(
    (e) => e.meeting_url && e.start_time > LATER && e.status !== "cancelled",
  );
  const eventId = target && target.event_id;
  await call("getEventDetails", { calendar_id: calendarId, event_id: eventId });
  const series = target && target.series_id;
  await call("createCalendarBot", {
    calendar_id: calendarId,
    body: { bot_name: "SDK calendar bot", series_id: series, all_occurrences: false, event_id: eventId },
  });
  await call("updateCalendarBot", {
    calendar_id: calendarId,
    event_id: eventId,
    body: { bot_name: "SDK calendar renamed", series_id: series, all_occurrences: false },
  });
  await call("deleteCalendarBot", { calendar_id: calendarId, event_id: eventId });
  await call("updateCalendarConnection", {
    calendar_id: calendarId,
    body: {
      oauth_client_id: "sdk-client",
      oauth_client_secret: "sdk-secret",
      oauth_refresh_token: "sdk-refresh-v2b",
    },
  });
  await call("deleteCalendarConnection", { calendar_id: calendarId });

  // Zoom credentials
  const credential = await call("createZoomCredential", {
    name: "SDK app",
    client_id: "sdk-zoom-client",
    client_secret: "sdk-zoom-secret",
  });
  const credentialId = credential && credential.credential_id;
  await call("listZoomCredentials");
  await call("getZoomCredential", { id: credentialId });
  await call("updateZoomCredential", { id: credentialId, body: { name: "SDK app renamed" } });
  await call("deleteZoomCredential", { id: credentialId });

  results.push({
    method: "getApiKey",
    success: client.getApiKey() === apiKey,
    status: null,
    code: null,
    data: null,
  });
  results.push({
    method: "getBaseUrl",
    success: client.getBaseUrl() === baseUrl,
    status: null,
    code: null,
    data: null,
  });
  process.stdout.write(JSON.stringify(results) + "\n");
}

main().catch((error) => {
  process.stderr.write(`driver failed: ${error && error.stack}\n`);
  process.exit(2);
});
