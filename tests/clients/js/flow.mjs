// masto.js (npm `masto`, the library behind Elk and Phanpy) against a running WikiSocial.
//
// Run by tests/clients/test_masto_js.py with:
//   WS_URL          the server's base URL (http://localhost:PORT)
//   WS_TOKEN        a user token for "ana" (from the authorization-code flow, with PKCE)
//   WS_OTHER_TOKEN  a user token for "bob", whom ana follows here
//   WS_IMAGE        a small PNG file to upload
//   WS_TIMEOUT_MS   how long to wait for a streamed event (default 20000)
//
// Prints one JSON report on stdout: {"ok": bool, "steps": [{"name", "ok", "error"?, ...}]}.
// A failing step is recorded and the steps that do not depend on it still run, so one run
// says everything that is wrong.

import { readFile } from "node:fs/promises";
import { createRestAPIClient, createStreamingAPIClient } from "masto";

const url = process.env.WS_URL;
const timeoutMs = Number(process.env.WS_TIMEOUT_MS || 20000);
const ana = createRestAPIClient({ url, accessToken: process.env.WS_TOKEN, timeout: 30000 });
const bob = createRestAPIClient({ url, accessToken: process.env.WS_OTHER_TOKEN, timeout: 30000 });
const steps = [];
const state = {};

function describe(error) {
  if (!error) return String(error);
  const parts = [error.name, error.message];
  if (error.statusCode) parts.push(`HTTP ${error.statusCode}`);
  if (error.details) parts.push(JSON.stringify(error.details));
  if (error.cause && error.cause.url) parts.push(`(${error.cause.url})`);
  return parts.filter(Boolean).join(": ");
}

async function step(name, needs, fn) {
  const missing = needs.filter((key) => state[key] === undefined);
  if (missing.length) {
    steps.push({ name, ok: false, skipped: true, error: `needs ${missing.join(", ")}` });
    return;
  }
  try {
    const details = (await fn()) || {};
    steps.push({ name, ok: true, ...details });
  } catch (error) {
    steps.push({ name, ok: false, error: describe(error) });
  }
}

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

function word(label) {
  return `${label}${Math.random().toString(16).slice(2, 12)}`;
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Home feeds fill in the background (as on Mastodon): ask again for a while.
async function eventually(read, test, what, ms = 15000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (test(value)) return value;
    if (Date.now() > deadline) throw new Error(`waited ${ms} ms in vain for ${what}`);
    await sleep(300);
  }
}

// --- the flow ---------------------------------------------------------------------------

await step("verify credentials", [], async () => {
  const me = await ana.v1.accounts.verifyCredentials();
  check(typeof me.id === "string", `account id is a string (got ${typeof me.id})`);
  check(me.source !== undefined, "a CredentialAccount has source");
  state.me = me;
  const other = await bob.v1.accounts.verifyCredentials();
  state.bob = other;
  return { username: me.username, id: me.id };
});

await step("instance v2", [], async () => {
  const instance = await ana.v2.instance.fetch();
  check(instance.configuration?.urls?.streaming, "configuration.urls.streaming");
  state.streaming = instance.configuration.urls.streaming;
  return { version: instance.version, streaming: state.streaming };
});

await step("post with a poll and a content warning", ["me"], async () => {
  const status = await ana.v1.statuses.create({
    status: word("poll"),
    spoilerText: "A question about drinks",
    visibility: "public",
    poll: { options: ["tea", "coffee"], expiresIn: 3600, multiple: true },
  });
  check(status.spoilerText === "A question about drinks", "spoilerText kept");
  check(status.sensitive === true, "a CW marks the post sensitive");
  check(status.poll && status.poll.options.length === 2, "two poll options");
  check(status.poll.multiple === true, "multiple choice");
  const voted = await bob.v1.polls.$select(status.poll.id).votes.create({ choices: [0, 1] });
  check(voted.votesCount === 2 && voted.votersCount === 1, "bob's two choices counted once");
  state.pollStatus = status;
  return { id: status.id };
});

await step("upload media (v2) and post with it", ["me"], async () => {
  const bytes = await readFile(process.env.WS_IMAGE);
  const media = await ana.v2.media.create({
    file: new Blob([bytes], { type: "image/png" }),
    description: "A small picture",
  });
  check(media.url, "media url once processed");
  check(media.type === "image", `type image (got ${media.type})`);
  const status = await ana.v1.statuses.create({ status: word("picture"), mediaIds: [media.id] });
  check(status.mediaAttachments.length === 1, "one attachment");
  check(status.mediaAttachments[0].id === media.id, "the uploaded attachment");
  check(status.mediaAttachments[0].description === "A small picture", "alt text kept");
  state.mediaStatus = status;
  return { media: media.id, status: status.id };
});

await step("read home and public timelines", ["mediaStatus"], async () => {
  const home = await eventually(
    () => ana.v1.timelines.home.list({ limit: 40 }),
    (page) => page.some((s) => s.id === state.mediaStatus.id),
    "own post in the home timeline",
  );
  const local = await ana.v1.timelines.public.list({ limit: 40, local: true });
  check(local.some((s) => s.id === state.mediaStatus.id), "public post in local timeline");
  const everything = await ana.v1.timelines.public.list({ limit: 40 });
  check(everything.some((s) => s.id === state.mediaStatus.id), "public post in public timeline");
  // The paginator follows the Link header to the next page.
  const pages = ana.v1.timelines.home.list({ limit: 1 }).values();
  const first = await pages.next();
  const second = await pages.next();
  await pages.return();
  check(first.value?.length === 1 && second.value?.length === 1, "two pages of one");
  check(first.value[0].id !== second.value[0].id, "the second page is older");
  return { home: home.length, local: local.length };
});

await step("thread context", ["mediaStatus", "bob"], async () => {
  const reply = await bob.v1.statuses.create({
    status: `@${state.me.acct} ${word("reply")}`,
    inReplyToId: state.mediaStatus.id,
  });
  check(reply.inReplyToId === state.mediaStatus.id, "inReplyToId");
  const context = await ana.v1.statuses.$select(reply.id).context.fetch();
  check(context.ancestors.map((s) => s.id).join() === state.mediaStatus.id, "ancestors");
  const below = await ana.v1.statuses.$select(state.mediaStatus.id).context.fetch();
  check(below.descendants.some((s) => s.id === reply.id), "descendants");
  return { reply: reply.id };
});

await step("favourite", ["pollStatus"], async () => {
  const liked = await bob.v1.statuses.$select(state.pollStatus.id).favourite();
  check(liked.favourited === true, "favourited");
  check(liked.favouritesCount === 1, `favouritesCount 1 (got ${liked.favouritesCount})`);
  const who = await ana.v1.statuses.$select(state.pollStatus.id).favouritedBy.list();
  check(who.some((a) => a.id === state.bob.id), "bob among those who favourited");
});

await step("reblog", ["pollStatus"], async () => {
  const boost = await bob.v1.statuses.$select(state.pollStatus.id).reblog();
  check(boost.reblog && boost.reblog.id === state.pollStatus.id, "wrapper with the reblog");
  check(boost.reblog.reblogged === true, "reblogged");
  const undone = await bob.v1.statuses.$select(state.pollStatus.id).unreblog();
  check(undone.reblogged === false, "unreblogged");
});

await step("edit", ["mediaStatus"], async () => {
  const text = word("edited");
  const edited = await ana.v1.statuses.$select(state.mediaStatus.id).update({
    status: text,
    mediaIds: [state.mediaStatus.mediaAttachments[0].id],
  });
  check(edited.content.includes(text), "new text");
  check(edited.editedAt, "editedAt set");
  const history = await ana.v1.statuses.$select(state.mediaStatus.id).history.list();
  check(history.length === 2, `two versions in history (got ${history.length})`);
  const source = await ana.v1.statuses.$select(state.mediaStatus.id).source.fetch();
  check(source.text === text, "source text");
});

await step("delete", ["me"], async () => {
  const text = word("gone");
  const status = await ana.v1.statuses.create({ status: text });
  const removed = await ana.v1.statuses.$select(status.id).remove();
  check(removed.text === text, "delete returns the source text");
  try {
    await ana.v1.statuses.$select(status.id).fetch();
  } catch (error) {
    check(error.statusCode === 404, `404 after delete (got ${error.statusCode})`);
    return;
  }
  throw new Error("the deleted status is still there");
});

async function streamedUpdate(options, label) {
  const streaming = createStreamingAPIClient({
    streamingApiUrl: state.streaming,
    accessToken: process.env.WS_TOKEN,
    retry: 3,
    ...options,
  });
  try {
    await withTimeout(streaming.prepare(), timeoutMs, "the WebSocket to open");
    const subscription = streaming.user.subscribe();
    const iterator = subscription[Symbol.asyncIterator]();
    const first = iterator.next(); // sends the subscribe message
    await sleep(1000); // the server reads the subscribe message
    const text = word(label);
    const posted = await bob.v1.statuses.create({ status: text });
    const received = withTimeout(
      (async () => {
        for (let next = await first; !next.done; next = await iterator.next()) {
          const event = next.value;
          if (event.event === "update" && event.payload.id === posted.id) return event;
        }
        throw new Error("the stream ended");
      })(),
      timeoutMs,
      "the update on the user stream",
    );
    const event = await received;
    check(event.payload.content.includes(text), "the streamed status's content");
    check(event.stream.includes("user"), `stream names user (got ${event.stream})`);
    return { status: posted.id };
  } finally {
    streaming.close();
  }
}

await step("follow, then receive a streamed update (token in the subprotocol)", ["streaming", "bob"], async () => {
  const relationship = await ana.v1.accounts.$select(state.bob.id).follow();
  check(relationship.following === true, "following");
  return streamedUpdate({}, "streamed");
});

await step("receive a streamed update (token in the query)", ["streaming", "bob"], async () =>
  streamedUpdate({ useInsecureAccessToken: true }, "queried"),
);

const ok = steps.every((s) => s.ok);
process.stdout.write(JSON.stringify({ ok, steps }, null, 2) + "\n");
process.exit(0);
