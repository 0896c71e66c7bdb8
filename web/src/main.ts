/** The web test client: wires the form controls to the function app and the client SDK. */
import { WebPubSubClient } from "@azure/web-pubsub-client";
import { nextConnectionView, initialConnectionView, statusLabels, type ConnectionEvent, type ConnectionView } from "./connection-state";
import { changeGroupMembership, fetchServiceInfo, negotiate, sendMessage, serviceOriginOf, type FunctionApiSettings, type SendTarget } from "./function-api";
import { appendError, appendMessage } from "./message-log";
import { fetchNodeDirectory } from "./node-directory";
import { mountNodePanel, type NodePanel } from "./node-panel";
import { buildBody, byteLength, clientSdkData, padText, type DataType } from "./payload";
import { describeFailure } from "./plain-errors";
import { mountPlanLine } from "./plan-line";
import { mountPresencePanel } from "./presence-panel";
import { mountInvokePanel, mountStreamPanel } from "./live-panels";
import { describeSender, unwrapStamp } from "./sender-stamp";
import { installSocketWatch, isRecoveryUrl } from "./socket-watch";
import { protocolLabel, startSignalRSession, transportInUse, transportLabel, type HubProtocolChoice, type SignalRSession, type TransportChoice } from "./signalr-session";
import { describeCost, mountUsagePanel } from "./usage-panel";

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page is missing #${id}`);
  return found as T;
}

const ui = {
  connectForm: element<HTMLFormElement>("connect-form"),
  baseUrl: element<HTMLInputElement>("base-url"),
  functionKey: element<HTMLInputElement>("function-key"),
  userId: element<HTMLInputElement>("user-id"),
  connectGroups: element<HTMLInputElement>("connect-groups"),
  connectRoles: element<HTMLInputElement>("connect-roles"),
  connectButton: element<HTMLButtonElement>("connect"),
  disconnectButton: element<HTMLButtonElement>("disconnect"),
  status: element<HTMLElement>("connection-status"),
  connectionId: element<HTMLElement>("connection-id"),
  serviceKind: element<HTMLElement>("service-kind"),
  hubProtocol: element<HTMLSelectElement>("hub-protocol"),
  signalrTransport: element<HTMLSelectElement>("signalr-transport"),
  statefulReconnect: element<HTMLInputElement>("stateful-reconnect"),
  groupForm: element<HTMLFormElement>("group-form"),
  groupName: element<HTMLInputElement>("group-name"),
  leaveButton: element<HTMLButtonElement>("leave-group"),
  joinedGroups: element<HTMLUListElement>("joined-groups"),
  sendForm: element<HTMLFormElement>("send-form"),
  targetKind: element<HTMLSelectElement>("target-kind"),
  target: element<HTMLInputElement>("target"),
  dataType: element<HTMLSelectElement>("data-type"),
  messageText: element<HTMLTextAreaElement>("message-text"),
  padTo: element<HTMLInputElement>("pad-to"),
  outgoingSize: element<HTMLElement>("outgoing-size"),
  sendStatus: element<HTMLElement>("send-status"),
  messages: element<HTMLOListElement>("messages"),
  errors: element<HTMLUListElement>("errors"),
  clearLog: element<HTMLButtonElement>("clear-log"),
  usagePanel: element<HTMLElement>("usage-panel"),
  groupStatus: element<HTMLElement>("group-status"),
  stampSender: element<HTMLInputElement>("stamp-sender"),
  nodes: {
    panel: element<HTMLElement>("nodes"),
    connectField: element<HTMLElement>("connect-node-field"),
    connectNode: element<HTMLSelectElement>("connect-node"),
    sendField: element<HTMLElement>("send-node-field"),
    sendNode: element<HTMLSelectElement>("send-node"),
    baseUrl: element<HTMLInputElement>("base-url"),
    status: element<HTMLElement>("node-status"),
    checkForm: element<HTMLFormElement>("check-form"),
    checkCount: element<HTMLInputElement>("check-count"),
    checkButton: element<HTMLButtonElement>("run-check"),
    checkStatus: element<HTMLElement>("check-status"),
    results: element<HTMLTableElement>("check-results"),
  },
  planLine: element<HTMLElement>("plan-line"),
  presencePanel: element<HTMLElement>("presence-panel"),
};

let view: ConnectionView = initialConnectionView;
let client: WebPubSubClient | null = null;
/** Set while connected through Azure SignalR Service (the app says which service it uses). */
let signalr: SignalRSession | null = null;
let lastConnectionId: string | null = null;
const joinedGroups = new Set<string>();
/** The service's HTTP origin, learnt from negotiate; the usage panel polls its /api/usage. */
let serviceOrigin: string | undefined;
/** The node controls, once the app said which local nodes run (never, under func start or Azure). */
let nodes: NodePanel | undefined;
const usage = mountUsagePanel(ui.usagePanel, { usageUrl: () => (serviceOrigin ? `${serviceOrigin}/api/usage` : undefined) });
const planLine = mountPlanLine(ui.planLine, { usageUrl: () => (serviceOrigin ? `${serviceOrigin}/api/usage` : undefined), intervalMs: 2000 });
const presence = mountPresencePanel(ui.presencePanel, { settings, onError: showError });
const liveSources = { webPubSub: () => (view.status === "connected" ? client : null), signalr: () => (view.status === "connected" ? signalr : null) };
mountInvokePanel(
  { form: element("invoke-form"), event: element("invoke-event"), dataType: element("invoke-type"), payload: element("invoke-payload"), result: element("invoke-result") },
  liveSources,
);
const streams = mountStreamPanel(
  {
    form: element("stream-form"),
    group: element("stream-group"),
    text: element("stream-text"),
    delay: element("stream-delay"),
    start: element("stream-start"),
    cancel: element("stream-cancel"),
    status: element("stream-status"),
    received: element("streams-received"),
  },
  liveSources,
);

function dispatch(event: ConnectionEvent): void {
  view = nextConnectionView(view, event);
  render();
}

function render(): void {
  ui.status.textContent = statusLabels[view.status];
  ui.status.dataset.state = view.status;
  ui.connectionId.textContent = view.connectionId ?? "none";
  const active = view.status !== "idle" && view.status !== "disconnected";
  ui.connectButton.disabled = active;
  ui.disconnectButton.disabled = !active;
  nodes?.refresh();
}

function settings(): FunctionApiSettings {
  return { baseUrl: ui.baseUrl.value.trim(), functionKey: ui.functionKey.value.trim() };
}

function listField(input: HTMLInputElement): string[] {
  return input.value.split(",").map((value) => value.trim()).filter((value) => value !== "");
}

function showError(action: string, error: unknown): void {
  appendError(ui.errors, describeFailure(action, error));
}

function renderGroups(): void {
  ui.joinedGroups.replaceChildren(
    ...[...joinedGroups].map((group) => {
      const item = document.createElement("li");
      item.textContent = group;
      return item;
    }),
  );
}

// A brand-new connection (not a recovery) has lost its groups: add it back to the ones joined.
/** The user this page is connected as: the service's word once connected, else the typed id. */
function ownUserId(): string | null {
  return view.userId ?? (ui.userId.value.trim() || null);
}

async function rejoinGroups(connectionId: string): Promise<void> {
  for (const group of joinedGroups) {
    try {
      await changeGroupMembership(settings(), "join", group, connectionId, ownUserId());
    } catch (error) {
      showError(`Re-joining group ${group}`, error);
    }
  }
}

/** Asks the app which service it uses and says so on the page. */
async function learnService(api: FunctionApiSettings): Promise<"webpubsub" | "signalr"> {
  const info = await fetchServiceInfo(api);
  ui.serviceKind.dataset.service = info.service;
  if (info.service === "signalr") ui.presencePanel.textContent = "Member lists are not available on Azure SignalR Service: its REST API cannot list a group's connections.";
  ui.serviceKind.textContent =
    info.service === "signalr"
      ? `Azure SignalR Service, hub ${info.hub}, ${protocolLabel(ui.hubProtocol.value as HubProtocolChoice)}`
      : `Azure Web PubSub, hub ${info.hub}, json.reliable.webpubsub.azure.v1`;
  return info.service;
}

/** SignalR: the client negotiates through the app itself; groups at connect are joined through the app afterwards. */
async function connectSignalR(api: FunctionApiSettings, userId: string, groups: string[], roles: string[]): Promise<void> {
  if (roles.length > 0) {
    dispatch({ kind: "sdk-stopped" });
    return appendError(ui.errors, "Azure SignalR Service has no client roles: clear the Roles field.");
  }
  try {
    signalr = await startSignalRSession(
      { functionsBaseUrl: api.baseUrl, userId, protocol: ui.hubProtocol.value as HubProtocolChoice, transport: ui.signalrTransport.value as TransportChoice, statefulReconnect: ui.statefulReconnect.checked },
      {
        connected: (connectionId) => {
          dispatch({ kind: "sdk-connected", connectionId, userId: userId || null });
          void usage.refresh();
          if (lastConnectionId !== null && lastConnectionId !== connectionId) void rejoinGroups(connectionId);
          lastConnectionId = connectionId;
        },
        reconnecting: () => dispatch({ kind: "socket-closed" }),
        closed: (error) => {
          dispatch({ kind: "sdk-stopped" });
          if (error && !view.stopping) appendError(ui.errors, `Disconnected by the service: ${error.message}`);
        },
        message: (args) => {
          for (const data of args) receiveServerMessage(typeof data === "string" ? "text" : "json", data);
        },
      },
    );
  } catch (error) {
    signalr = null;
    dispatch({ kind: "sdk-stopped" });
    return showError("Connecting", error);
  }
  // The transport the client settled on, beside the service and protocol.
  const inUse = transportInUse(signalr.connection);
  ui.serviceKind.dataset.transport = inUse ?? "";
  const resumes = ui.statefulReconnect.checked && inUse === "WebSockets" ? ", stateful reconnect" : "";
  ui.serviceKind.textContent = `${ui.serviceKind.textContent.replace(/ over .*$/, "")} over ${transportLabel(inUse)}${resumes}`;
  const connectionId = view.connectionId;
  for (const group of groups) {
    if (!connectionId) break;
    try {
      await changeGroupMembership(api, "join", group, connectionId, ownUserId());
      joinedGroups.add(group);
    } catch (error) {
      showError(`Joining group ${group}`, error);
    }
  }
  renderGroups();
}

async function connect(): Promise<void> {
  const api = settings();
  const userId = ui.userId.value.trim();
  const groups = listField(ui.connectGroups);
  const roles = listField(ui.connectRoles);
  dispatch({ kind: "start-requested" });
  try {
    if ((await learnService(api)) === "signalr") return await connectSignalR(api, userId, groups, roles);
  } catch (error) {
    dispatch({ kind: "sdk-stopped" });
    return showError("Connecting", error);
  }
  const next = new WebPubSubClient(
    {
      getClientAccessUrl: async () => {
        const { url } = await negotiate(api, userId, groups, roles);
        serviceOrigin = serviceOriginOf(url);
        return url;
      },
    },
    // Retrying a refused message only repeats the refusal; show it at once instead.
    { messageRetryOptions: { maxRetries: 0 } },
  );
  next.on("connected", (event) => {
    dispatch({ kind: "sdk-connected", connectionId: event.connectionId, userId: event.userId ?? null });
    // The token put this connection in the groups asked for at connect: list them as joined.
    if (lastConnectionId === null) {
      for (const group of groups) joinedGroups.add(group);
      renderGroups();
    }
    void usage.refresh();
    void planLine.refresh();
    if (lastConnectionId !== null && lastConnectionId !== event.connectionId) void rejoinGroups(event.connectionId);
    lastConnectionId = event.connectionId;
  });
  next.on("disconnected", (event) => {
    dispatch({ kind: "sdk-disconnected" });
    const reason = event.message?.message;
    if (reason && !view.stopping) appendError(ui.errors, `Disconnected by the service: ${reason}`);
  });
  next.on("stopped", () => dispatch({ kind: "sdk-stopped" }));
  next.on("server-message", (event) => receiveServerMessage(event.message.dataType, event.message.data));
  next.on("group-message", (event) => {
    // Stream fragments are shown by the stream panel as they arrive, not as separate messages.
    if (event.message.stream) return;
    const from = event.message.fromUserId ? ` from ${event.message.fromUserId}` : "";
    appendMessage(ui.messages, { at: new Date(), sender: `group ${event.message.group}${from}`, dataType: event.message.dataType, data: event.message.data });
  });
  streams.attach(next);
  client = next;
  try {
    await next.start();
  } catch (error) {
    client = null;
    dispatch({ kind: "sdk-stopped" });
    showError("Connecting", error);
  }
}

/** A message the app sent (send, broadcast), as either service's client hands it over. */
function receiveServerMessage(dataType: string, data: unknown): void {
  // The delivery test counts its own messages instead of logging them.
  if (nodes?.receive(data)) return;
  // Join/leave notices refresh the member lists (with their cost shown there) instead of the log.
  if (presence.onMessage(data)) return;
  const stamped = unwrapStamp(dataType, data);
  if (stamped) {
    const sender = describeSender(stamped, (host) => nodes?.nodeOfHost(host));
    appendMessage(ui.messages, { at: new Date(), sender, dataType: stamped.dataType, data: stamped.data });
    return;
  }
  appendMessage(ui.messages, { at: new Date(), sender: "server", dataType, data });
}

function disconnect(): void {
  dispatch({ kind: "stop-requested" });
  client?.stop();
  client = null;
  void signalr?.stop();
  signalr = null;
  lastConnectionId = null;
  joinedGroups.clear();
  renderGroups();
}

async function changeGroup(action: "join" | "leave"): Promise<void> {
  const group = ui.groupName.value.trim();
  if (!group) {
    ui.groupStatus.textContent = "Type a group name first.";
    return;
  }
  if (!view.connectionId || view.status !== "connected") return appendError(ui.errors, "Connect first: groups hold connections.");
  try {
    await changeGroupMembership(settings(), action, group, view.connectionId, ownUserId());
    if (action === "join") joinedGroups.add(group);
    else joinedGroups.delete(group);
    renderGroups();
    // SignalR's REST API cannot list a group's members, so there is no list to show.
    if (!signalr) void presence.groupChanged(group, action === "join" ? "joined" : "left");
    ui.groupStatus.textContent = `${action === "join" ? "Joined" : "Left"} group ${group}.`;
  } catch (error) {
    const failure = describeFailure(action === "join" ? `Joining group ${group}` : `Leaving group ${group}`, error);
    ui.groupStatus.textContent = failure;
    appendError(ui.errors, failure);
  }
}

function outgoingText(): string {
  const padTo = Number(ui.padTo.value);
  return padText(ui.messageText.value, Number.isInteger(padTo) && padTo > 0 ? padTo : undefined);
}

function updateOutgoingSize(): void {
  ui.outgoingSize.textContent = describeCost(byteLength(outgoingText())).text;
}

async function send(): Promise<void> {
  const kind = ui.targetKind.value;
  const targetName = ui.target.value.trim();
  const dataType = ui.dataType.value as DataType;
  const text = outgoingText();
  const size = byteLength(text);
  if (kind !== "everyone" && !targetName) return appendError(ui.errors, "Type a user id or group name to send to.");
  // A status line belongs to one send: never leave the last one's success beside this one's error.
  ui.sendStatus.textContent = "Sending…";
  try {
    if (kind === "client-group" && signalr) {
      // SignalR clients cannot send to a group themselves: the app's upstream trigger relays it.
      await signalr.relay(text, targetName);
      ui.sendStatus.textContent = `Sent ${size} bytes of text to group ${targetName} through the function app's relay.`;
      void usage.refresh();
      return;
    }
    if (kind === "client-group") {
      if (!client || view.status !== "connected") return appendError(ui.errors, "Connect first: client-to-group messages go over your WebSocket.");
      await client.sendToGroup(targetName, clientSdkData(dataType, text), dataType, { noEcho: false });
      ui.sendStatus.textContent = `Sent ${size} bytes of ${dataType} to group ${targetName} over the WebSocket.`;
      void usage.refresh();
      return;
    }
    const target: SendTarget =
      kind === "user" ? { kind: "user", userId: targetName } : kind === "group" ? { kind: "group", group: targetName } : { kind: "everyone" };
    const stamp = ui.stampSender.checked ? { from: view.userId ?? (ui.userId.value.trim() || null) } : undefined;
    await sendMessage({ ...settings(), baseUrl: nodes?.sendBaseUrl() ?? settings().baseUrl }, target, buildBody(dataType, text), stamp);
    ui.sendStatus.textContent = `Sent ${size} bytes of ${dataType} to ${kind === "everyone" ? "everyone" : `${kind} ${targetName}`}.`;
    void usage.refresh();
  } catch (error) {
    ui.sendStatus.textContent = "Not sent: see the error below.";
    if (error instanceof SyntaxError) return appendError(ui.errors, `Sending failed: the message is not valid JSON (${error.message}).`);
    showError("Sending", error);
  }
}

function defaultBaseUrl(): string {
  const fromQuery = new URLSearchParams(location.search).get("api");
  if (fromQuery) return fromQuery;
  if (location.protocol === "http:" || location.protocol === "https:") return `${location.origin}/api`;
  return "http://localhost:7071/api";
}

installSocketWatch(window, {
  opening: (url) => {
    // SignalR's client negotiates by itself: its socket URL is where the page learns the service's origin.
    if (ui.serviceKind.dataset.service === "signalr") serviceOrigin = serviceOriginOf(url);
    dispatch({ kind: "socket-opening", recovery: isRecoveryUrl(url) });
  },
  open: (url) => dispatch({ kind: "socket-open", recovery: isRecoveryUrl(url) }),
  closed: () => dispatch({ kind: "socket-closed" }),
});

ui.baseUrl.value = defaultBaseUrl();
const checkBody = (text: string): { contentType: string; bytes: Uint8Array } => ({ contentType: "application/json", bytes: new TextEncoder().encode(text) });
async function mountNodes(): Promise<void> {
  const directory = await fetchNodeDirectory(ui.baseUrl.value);
  if (!directory) return;
  nodes = mountNodePanel(ui.nodes, directory, {
    serviceOrigin: () => serviceOrigin,
    connectedUser: () => (view.status === "connected" ? view.userId : null),
    send: (baseUrl, userId, message) => sendMessage({ ...settings(), baseUrl }, { kind: "user", userId }, checkBody(JSON.stringify(message))),
    describeFailure: (error) => describeFailure("Sending", error),
    storage: (() => {
      try {
        return window.localStorage;
      } catch {
        return undefined; // storage blocked: results are kept for this page only
      }
    })(),
  });
}
ui.connectForm.addEventListener("submit", (event) => {
  event.preventDefault();
  void connect();
});
ui.disconnectButton.addEventListener("click", disconnect);
ui.groupForm.addEventListener("submit", (event) => {
  event.preventDefault();
  void changeGroup("join");
});
ui.leaveButton.addEventListener("click", () => void changeGroup("leave"));
ui.sendForm.addEventListener("submit", (event) => {
  event.preventDefault();
  void send();
});
ui.targetKind.addEventListener("change", () => {
  ui.target.disabled = ui.targetKind.value === "everyone";
});
ui.messageText.addEventListener("input", updateOutgoingSize);
ui.padTo.addEventListener("input", updateOutgoingSize);
ui.clearLog.addEventListener("click", () => ui.messages.replaceChildren());
ui.hubProtocol.addEventListener("change", () => {
  if (ui.serviceKind.dataset.service === "signalr") ui.serviceKind.textContent = ui.serviceKind.textContent.replace(/(JSON|MessagePack)$/, protocolLabel(ui.hubProtocol.value as HubProtocolChoice));
});
render();
updateOutgoingSize();
/**
 * Say which service the app uses as soon as the page opens, trying a few times (the app may still
 * be starting); a page opened elsewhere learns it at connect.
 */
async function announceService(attempts = 6): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await learnService(settings());
      return;
    } catch {
      if (attempt >= attempts) return;
      await new Promise((resolve) => setTimeout(resolve, 300 * attempt));
    }
  }
}

// Ready once the page knows its service and its nodes (or has given up on them).
void Promise.allSettled([announceService(), mountNodes()]).then(() => {
  document.body.dataset.ready = "true";
});
