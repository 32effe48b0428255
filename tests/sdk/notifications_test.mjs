// Issue 14's tutorial flow, as the Genesys developer tutorial writes it, with the official
// JavaScript SDK and the ws package against `gcsim serve --clock manual`: create a channel
// (NotificationsApi), subscribe to a queue's conversations topic, connect to the channel's
// connectUri, then drop a leg through the SDK and advance the clock: the event that shows the
// leg disconnected must arrive framed as the real service frames it.
//
//   node notifications_test.mjs GCSIM_BINARY MODULES_DIR WORLD.json
//
// Exit status: 0 passed, 1 failed, 77 skipped (the SDK or ws is not installed here).
import { check, load, login, readArgs, withServer } from './common.mjs';

const args = readArgs('notifications_test.mjs');
const platformClient = load(args.modulesDir, 'purecloud-platform-client-v2');
const WebSocket = load(args.modulesDir, 'ws');
const QUEUE = '7c1d2e3f-0000-4000-8000-0000000000a1';
const CONVERSATION = '5f3c2a10-8e4b-4d6a-9c1e-7b2d4f6a8c01';
const SUPERVISOR = '9f8e7d6c-5b4a-3210-abcd-ef1234567890';
const WAIT_MS = 20_000;  // for any one event: generous, a loaded 2-core box is slow

// Messages as they arrive, and waits for the first one (from `from` on) that passes a test.
class Inbox {
  constructor(socket) {
    this.messages = [];
    this.waiters = [];
    socket.on('message', (data) => {
      this.messages.push(JSON.parse(data.toString()));
      this.waiters = this.waiters.filter((waiter) => !waiter());
    });
  }

  next(test, what, from = 0) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${WAIT_MS / 1000}s; got ` +
                                                      JSON.stringify(this.messages.slice(from)))), WAIT_MS);
      const look = () => {
        const found = this.messages.slice(from).find(test);
        if (!found) return false;
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      if (!look()) this.waiters.push(look);
    });
  }
}

await withServer(args, async ({ gateway, advance }) => {
  await login(platformClient, gateway);
  const notifications = new platformClient.NotificationsApi();
  const conversations = new platformClient.ConversationsApi();

  const channel = await notifications.postNotificationsChannels();
  check(channel.id && channel.connectUri?.startsWith('ws://'), `a channel: ${JSON.stringify(channel)}`);
  const topic = `v2.routing.queues.${QUEUE}.conversations.calls`;
  const subscribed = await notifications.putNotificationsChannelSubscriptions(channel.id, [{ id: topic }]);
  check(subscribed.entities?.some((t) => t.id === topic),
        `subscribed to ${topic}: ${JSON.stringify(subscribed)}`);
  const listed = await notifications.getNotificationsChannelSubscriptions(channel.id);
  check(listed.entities?.length === 1 && listed.entities[0].id === topic, `listed: ${JSON.stringify(listed)}`);

  const socket = new WebSocket(channel.connectUri);
  const inbox = new Inbox(socket);
  await new Promise((resolve, reject) => { socket.on('open', resolve); socket.on('error', reject); });
  try {
    // On connecting, the live call on the queue as it is.
    const isCall = (m) => m.topicName === topic && m.eventBody?.id === CONVERSATION;
    const first = await inbox.next(isCall, 'snapshot of the live call');
    check(first.version === '2', `version "2": ${JSON.stringify(first)}`);
    check(typeof first.metadata?.CorrelationId === 'string' && first.metadata.CorrelationId.length > 0,
          `metadata.CorrelationId: ${JSON.stringify(first.metadata)}`);
    const before = first.eventBody.participants.find((p) => p.id === SUPERVISOR);
    check(before?.state === 'connected', `the supervisor connected at first: ${JSON.stringify(before)}`);

    // A ping is answered on channel.metadata, as the service does.
    const pingedAt = inbox.messages.length;
    socket.send(JSON.stringify({ message: 'ping' }));
    await inbox.next((m) => m.topicName === 'channel.metadata' && m.eventBody?.message === 'pong', 'pong',
                     pingedAt);

    // A change through the SDK: the supervisor's leg dropped; it lands as the clock moves.
    const droppedAt = inbox.messages.length;
    await conversations.patchConversationParticipant(CONVERSATION, SUPERVISOR, { state: 'disconnected' });
    await advance('1s');
    const event = await inbox.next(
      (m) => isCall(m) && m.eventBody.participants.some((p) => p.id === SUPERVISOR && p.state === 'disconnected'),
      'event with the supervisor disconnected', droppedAt);
    const leg = event.eventBody.participants.find((p) => p.id === SUPERVISOR);
    check(leg.disconnectType === 'client', `disconnectType client: ${JSON.stringify(leg)}`);
    check(event.metadata.CorrelationId !== first.metadata.CorrelationId, 'each event has its own CorrelationId');
    console.log(`channel ${channel.id}: ${inbox.messages.length} messages, the drop seen on ${topic}`);
  } finally {
    socket.terminate();
  }
});
