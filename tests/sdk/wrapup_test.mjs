// Issue 13's story through the official Genesys JavaScript SDK (purecloud-platform-client-v2),
// pointed at `gcsim serve --clock manual` with the SDK's gateway setting: log in with client
// credentials, find the bridge through the analytics details query, send the seed's naive body
// (the leg stays connected and no wrap-up is recorded), then the right pair of calls: the
// per-communication drop and the communication's wrap-up. The SDK's own GETs must show the leg
// gone and the intended code recorded.
//
//   node wrapup_test.mjs GCSIM_BINARY MODULES_DIR WORLD.json
//
// Exit status: 0 passed, 1 failed, 77 skipped (the SDK is not installed here).
import { check, load, login, readArgs, withServer } from './common.mjs';

const args = readArgs('wrapup_test.mjs');
const platformClient = load(args.modulesDir, 'purecloud-platform-client-v2');
const SUPERVISOR_NAME = 'Sam Supervisor';
const CODE_NAME = 'no-answer';

await withServer(args, async ({ gateway, advance }) => {
  await login(platformClient, gateway);
  const conversations = new platformClient.ConversationsApi();
  const analytics = new platformClient.AnalyticsApi();

  await advance('10m');  // ten silent minutes for the supervisor

  // Live conversations, as a client-credentials script finds them.
  const details = await analytics.postAnalyticsConversationsDetailsQuery({
    interval: '2026-01-01T00:00:00.000Z/2026-01-02T00:00:00.000Z',
    order: 'asc',
    orderBy: 'conversationStart',
    paging: { pageSize: 25, pageNumber: 1 },
    conversationFilters: [{ type: 'and', predicates: [
      { type: 'dimension', dimension: 'conversationEnd', operator: 'notExists' }] }],
  });
  check(details.conversations?.length === 1, `one live conversation, got ${JSON.stringify(details)}`);
  const conversationId = details.conversations[0].conversationId;

  // The supervisor's participant and its call (the communication) from the Conversation.
  const conversation = await conversations.getConversation(conversationId);
  const supervisor = conversation.participants.find((p) => p.name === SUPERVISOR_NAME);
  check(supervisor, `the supervisor is a participant: ${JSON.stringify(conversation.participants)}`);
  const participantId = supervisor.id;
  const communicationId = supervisor.calls?.[0]?.id;
  check(communicationId, `the supervisor has a call: ${JSON.stringify(supervisor)}`);
  const legOf = async () => (await conversations.getConversationsCall(conversationId))
    .participants.find((p) => p.id === participantId);

  // The seed's naive body: a 2xx, and neither the drop nor the disposition happens.
  await conversations.patchConversationsCallParticipant(conversationId, participantId,
    { dispositionCode: CODE_NAME, dropReason: 'timeout' });
  await advance('1s');
  const afterNaive = await legOf();
  check(afterNaive.state === 'connected', `the naive body leaves the leg connected, got ${afterNaive.state}`);
  const noWrapup = await conversations.getConversationsCallParticipantWrapup(conversationId, participantId);
  check(!noWrapup?.code, `the naive body records no wrap-up, got ${JSON.stringify(noWrapup)}`);

  // The right pair: drop the communication, then wrap it up with the code's id (not its name).
  await conversations.patchConversationsCallParticipantCommunication(conversationId, participantId,
    communicationId, { state: 'disconnected' });
  await advance('1s');
  const codes = await conversations.getConversationsCallParticipantWrapupcodes(conversationId, participantId);
  const code = codes.find((c) => c.name === CODE_NAME);
  check(code, `the queue offers ${CODE_NAME}: ${JSON.stringify(codes)}`);
  await conversations.postConversationsCallParticipantCommunicationWrapup(conversationId, participantId,
    communicationId, { body: { code: code.id, notes: 'idle leg dropped after ten silent minutes' } });

  const afterDrop = await legOf();
  check(['disconnected', 'terminated'].includes(afterDrop.state),
        `the leg is gone after the drop, got ${afterDrop.state}`);
  check(afterDrop.disconnectType === 'client', `dropped by the client, got ${afterDrop.disconnectType}`);
  const wrapup = await conversations.getConversationsCallParticipantWrapup(conversationId, participantId);
  check(wrapup.code === code.id, `the wrap-up code is recorded, got ${JSON.stringify(wrapup)}`);
  const withWrapup = (await conversations.getConversation(conversationId))
    .participants.find((p) => p.id === participantId);
  check(withWrapup.wrapup?.code === code.id,
        `the Conversation shows the wrap-up too, got ${JSON.stringify(withWrapup.wrapup)}`);
  console.log(`conversation ${conversationId}: leg ${participantId} ${afterDrop.state}, wrap-up ${wrapup.code}`);
});
