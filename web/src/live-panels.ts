/**
 * The "Invoke" and "Stream to a group" panels: a request the function app answers (Web PubSub
 * `invokeEvent`, or SignalR's `invoke` of the same handler), and a reply streamed to a group
 * fragment by fragment, as an AI answer arrives token by token, with the streams this page receives.
 */
import type { GroupStream, GroupStreamWriter, WebPubSubClient } from "@azure/web-pubsub-client";
import { clientSdkData, type DataType } from "./payload";
import type { SignalRSession } from "./signalr-session";

export interface InvokeElements {
  form: HTMLFormElement;
  event: HTMLInputElement;
  dataType: HTMLSelectElement;
  payload: HTMLTextAreaElement;
  result: HTMLElement;
}

export interface LiveSources {
  webPubSub: () => WebPubSubClient | null;
  signalr: () => SignalRSession | null;
}

/** What an invocation's answer reads as on the page. */
export function describeAnswer(dataType: string | undefined, data: unknown): string {
  if (dataType === undefined) return "no data";
  if (data instanceof ArrayBuffer) return `${dataType}: ${data.byteLength} byte(s) [${[...new Uint8Array(data).slice(0, 16)].join(", ")}${data.byteLength > 16 ? ", …" : ""}]`;
  return `${dataType}: ${typeof data === "string" ? data : JSON.stringify(data)}`;
}

export function mountInvokePanel(ui: InvokeElements, sources: LiveSources): void {
  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    void invoke();
  });

  async function invoke(): Promise<void> {
    const name = ui.event.value.trim();
    if (!name) {
      ui.result.textContent = "Type an event name first (echo and memberCount are built in).";
      return;
    }
    const dataType = ui.dataType.value as DataType;
    const client = sources.webPubSub();
    const signalr = sources.signalr();
    if (!client && !signalr) {
      ui.result.textContent = "Connect first: an invocation goes over your connection.";
      return;
    }
    let content: ReturnType<typeof clientSdkData>;
    try {
      content = clientSdkData(dataType, ui.payload.value);
    } catch (error) {
      ui.result.textContent = `Not sent: the payload is not valid JSON (${(error as Error).message}).`;
      return;
    }
    ui.result.dataset.state = "waiting";
    ui.result.textContent = `Invoking ${name}…`;
    const started = performance.now();
    const took = (): string => `${Math.round(performance.now() - started)} ms`;
    try {
      let answer: string;
      if (client) {
        const result = await client.invokeEvent(name, content, dataType);
        answer = describeAnswer(result.dataType, result.data);
      } else {
        // SignalR: the same handler, called as a hub method with the payload as its one argument.
        const argument = dataType === "binary" ? ui.payload.value : content;
        const result: unknown = await signalr!.connection.invoke(name, argument);
        answer = result === undefined || result === null ? "no data" : describeAnswer(typeof result === "string" ? "text" : "json", result);
      }
      ui.result.dataset.state = "succeeded";
      ui.result.textContent = `Answered in ${took()}, ${answer}`;
    } catch (error) {
      const detail = (error as { errorDetail?: { name?: string; message?: string } }).errorDetail;
      ui.result.dataset.state = "failed";
      ui.result.textContent = detail?.name
        ? `Failed in ${took()}: ${detail.name}: ${detail.message ?? ""}`
        : `Failed in ${took()}: ${(error as Error).message}`;
    }
  }
}

export interface StreamElements {
  form: HTMLFormElement;
  group: HTMLInputElement;
  text: HTMLTextAreaElement;
  delay: HTMLInputElement;
  start: HTMLButtonElement;
  cancel: HTMLButtonElement;
  status: HTMLElement;
  received: HTMLOListElement;
}

export interface StreamPanel {
  /** Listens for the group streams a new client receives. */
  attach(client: WebPubSubClient): void;
}

/** The reply cut into the fragments an AI answer arrives in: each word with the spaces after it. */
export function fragmentsOf(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? [];
}

/** Streams shown at once; older ones are dropped from the page. */
export const MAX_SHOWN_STREAMS = 20;

export function mountStreamPanel(ui: StreamElements, sources: LiveSources): StreamPanel {
  let writer: GroupStreamWriter | null = null;
  let cancelled = false;

  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    void stream();
  });
  ui.cancel.addEventListener("click", () => {
    cancelled = true;
  });

  async function stream(): Promise<void> {
    const group = ui.group.value.trim();
    if (!group) {
      ui.status.textContent = "Type a group first.";
      return;
    }
    if (sources.signalr()) {
      ui.status.textContent = "Group streams are a Web PubSub feature: Azure SignalR Service has none.";
      return;
    }
    const client = sources.webPubSub();
    if (!client) {
      ui.status.textContent = "Connect first: a stream goes over your WebSocket.";
      return;
    }
    const fragments = fragmentsOf(ui.text.value);
    if (fragments.length === 0) {
      ui.status.textContent = "Type a reply to stream first.";
      return;
    }
    const delay = Math.min(Math.max(Number(ui.delay.value) || 0, 0), 5000);
    cancelled = false;
    ui.start.disabled = true;
    ui.cancel.disabled = false;
    ui.status.dataset.state = "streaming";
    try {
      writer = await client.openGroupStream(group);
      let sent = 0;
      for (const fragment of fragments) {
        if (cancelled) break;
        await writer.write(fragment, "text");
        sent += 1;
        ui.status.textContent = `Streaming to ${group}: ${sent} of ${fragments.length} fragment(s) sent.`;
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      }
      if (cancelled) {
        await writer.abort({ message: "The sender cancelled the stream.", userErrorCode: "SenderCancelled" });
        ui.status.dataset.state = "cancelled";
        ui.status.textContent = `Cancelled after ${sent} of ${fragments.length} fragment(s): receivers see the stream end with an error.`;
      } else {
        await writer.end();
        ui.status.dataset.state = "ended";
        ui.status.textContent = `Streamed ${sent} fragment(s) to ${group}.`;
      }
    } catch (error) {
      ui.status.dataset.state = "failed";
      const name = (error as { name?: string }).name;
      ui.status.textContent = `The stream failed: ${name && name !== "Error" ? `${name}: ` : ""}${(error as Error).message}`;
    } finally {
      writer = null;
      ui.start.disabled = false;
      ui.cancel.disabled = true;
    }
  }

  function show(stream: GroupStream): { item: HTMLLIElement; text: HTMLElement; state: HTMLElement } {
    const item = document.createElement("li");
    item.dataset.streamId = stream.streamId;
    item.dataset.state = "streaming";
    const head = document.createElement("span");
    head.className = "stream-head";
    head.textContent = `group ${stream.groupName}: `;
    const text = document.createElement("span");
    text.className = "stream-text";
    const state = document.createElement("span");
    state.className = "stream-state";
    state.textContent = " (streaming…)";
    item.append(head, text, state);
    ui.received.prepend(item);
    while (ui.received.children.length > MAX_SHOWN_STREAMS) ui.received.lastElementChild?.remove();
    return { item, text, state };
  }

  return {
    attach(client) {
      client.onGroupStream(async (stream) => {
        const shown = show(stream);
        try {
          for await (const fragment of stream) {
            if (shown.text.textContent === "") shown.item.querySelector(".stream-head")!.textContent = `group ${stream.groupName} from ${fragment.fromUserId}: `;
            shown.text.textContent += typeof fragment.data === "string" ? fragment.data : JSON.stringify(fragment.data);
          }
          shown.item.dataset.state = "ended";
          shown.state.textContent = " (ended)";
        } catch (error) {
          const detail = error as { name?: string; message?: string; userErrorCode?: string };
          shown.item.dataset.state = "failed";
          shown.state.textContent = ` (ended with ${detail.name ?? "an error"}${detail.userErrorCode ? ` ${detail.userErrorCode}` : ""}: ${detail.message ?? ""})`;
        }
      });
    },
  };
}
