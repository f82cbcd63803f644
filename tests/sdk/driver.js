// Calls every v1 method of one installed @meeting-baas/sdk version against a running mock
// and prints one JSON document: [{method, success, status, data, error}, ...].
//
//   node driver.js sdk5|sdk6 BASE_URL API_KEY
//
// Only the given base URL is contacted (a loopback mock). The control API of the same mock
// moves its virtual clock, so a bot has a recording by the time its data is read.
"use strict";

const [, , sdkName, baseUrl, apiKey] = process.argv;
const { createBaasClient } = require(`./node_modules/${sdkName}`);

const client = createBaasClient({ api_key: apiKey, base_url: baseUrl, timeout: 10000 });
const results = [];

function describeError(error) {
  if (!error) return null;
  if (error.response) return { status: error.response.status, body: error.response.data };
  if (error.issues) return { validation: error.issues };
  return { message: String(error.message || error) };
}

async function call(method, ...args) {
  if (typeof client[method] !== "function") {
    results.push({ method, success: false, status: null, data: null, error: { missing: true } });
    return null;
  }
  const outcome = await client[method](...args);
  const error = describeError(outcome.error);
  results.push({
    method,
    success: outcome.success,
    status: error && error.status ? error.status : null,
    data: outcome.success ? (outcome.data === undefined ? null : outcome.data) : null,
    error,
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

const CREDS = {
  platform: "Google",
  oauth_client_id: "sdk-client",
  oauth_client_secret: "sdk-secret",
  oauth_refresh_token: `sdk-refresh-${sdkName}`,
};

async function main() {
  // bots
  const joined = await call("joinMeeting", {
    meeting_url: "https://meet.google.com/abc-defg-hij",
    bot_name: `SDK ${sdkName}`,
    reserved: false,
    speech_to_text: { provider: "Default" },
    extra: { sdk: sdkName },
  });
  const botId = joined && joined.bot_id;
  await advance(3600);
  await call("getMeetingData", { bot_id: botId, include_transcripts: true });
  await call("getScreenshots", { uuid: botId });
  await call("listBots", { limit: 5 });
  await call("retranscribeBot", { bot_uuid: botId });
  await advance(60);
  await call("leaveMeeting", { uuid: botId });
  await call("deleteBotData", { uuid: botId });

  // calendars
  await call("listRawCalendars", CREDS);
  const created = await call("createCalendar", CREDS);
  const calendarId = created && created.calendar.uuid;
  await call("listCalendars");
  await call("getCalendar", { uuid: calendarId });
  const listing = await call("listCalendarEvents", { calendar_id: calendarId, status: "upcoming" });
  const eventId = listing && listing.data.length ? listing.data[0].uuid : null;
  await call("getCalendarEvent", { uuid: eventId });
  await call("scheduleCalendarRecordEvent", {
    uuid: eventId,
    body: { bot_name: "Calendar bot", extra: {}, transcription_custom_parameters: {} },
    query: { all_occurrences: false },
  });
  await call("patchBot", {
    uuid: eventId,
    body: { bot_name: "Renamed calendar bot" },
    query: { all_occurrences: false },
  });
  await call("unscheduleCalendarRecordEvent", { uuid: eventId, query: { all_occurrences: false } });
  await call("updateCalendar", { uuid: calendarId, body: CREDS });
  await call("resyncAllCalendars");
  await call("deleteCalendar", { uuid: calendarId });

  // webhook documentation
  await call("getWebhookDocumentation");
  await call("getBotWebhookDocumentation");
  await call("getCalendarWebhookDocumentation");

  // Zoom OAuth connections (6.x)
  if (typeof client.listZoomOauthConnections === "function") {
    const connection = await call("createZoomOauthConnection", {
      authorization_code: `code-${sdkName}`,
      redirect_uri: "https://app.example.com/zoom/callback",
      zoom_client_id: "zoom-client",
      zoom_client_secret: "zoom-secret",
    });
    const connectionId = connection && connection.uuid;
    await call("listZoomOauthConnections");
    await call("getZoomOauthConnection", { uuid: connectionId });
    await call("deleteZoomOauthConnection", { uuid: connectionId });
  }

  process.stdout.write(JSON.stringify(results) + "\n");
}

main().catch((error) => {
  process.stderr.write(`driver failed: ${error && error.stack}\n`);
  process.exit(2);
});
