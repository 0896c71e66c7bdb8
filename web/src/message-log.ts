/** Renders received messages and errors into their live regions. */
import { describeReceived } from "./payload";

export interface ReceivedMessage {
  at: Date;
  /** "server" for messages the function app sent, else "group <name> from <userId>". */
  sender: string;
  dataType: string;
  data: unknown;
}

function cell(className: string, text: string): HTMLSpanElement {
  const span = document.createElement("span");
  span.className = className;
  span.textContent = text;
  return span;
}

export function appendMessage(list: HTMLElement, message: ReceivedMessage): void {
  const view = describeReceived(message.dataType, message.data);
  const item = document.createElement("li");
  item.className = "message";
  item.dataset.sender = message.sender;
  item.dataset.type = message.dataType;
  item.dataset.size = String(view.size);
  // The columns have no header row; the label reads the entry as one sentence for screen readers.
  item.setAttribute("aria-label", `${message.at.toLocaleTimeString()}, from ${message.sender}, ${message.dataType}, ${view.size} bytes: ${view.preview}`);
  const time = document.createElement("time");
  time.dateTime = message.at.toISOString();
  time.textContent = message.at.toLocaleTimeString();
  item.append(
    time,
    cell("message-sender", message.sender),
    cell("message-type", message.dataType),
    cell("message-size", `${view.size} B`),
    cell("message-data", view.preview),
  );
  list.append(item);
  item.scrollIntoView({ block: "nearest" });
}

export function appendError(list: HTMLElement, text: string, at = new Date()): void {
  const item = document.createElement("li");
  item.className = "error";
  const time = document.createElement("time");
  time.dateTime = at.toISOString();
  time.textContent = at.toLocaleTimeString();
  item.append(time, cell("error-text", text));
  list.prepend(item);
  while (list.children.length > 20) list.lastElementChild?.remove();
}
