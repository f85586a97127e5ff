// Server-sent events read with fetch, so that the request can carry the bearer token
// (EventSource cannot send an Authorization header).

import { authorization } from "./api";

export interface ServerEvent {
  event: string;
  data: string;
  id?: string;
}

export interface StreamHandlers {
  onEvent: (event: ServerEvent) => void;
  /** Called each time the stream opens, the first time too: what was missed meanwhile must be read again. */
  onOpen?: () => void;
  /** The stream ended by itself (the server closed it); return true to open it again. */
  onEnd?: () => boolean;
  onError?: (message: string) => void;
}

const RETRY_MILLISECONDS = 3000;

/** Reads the stream until the returned function is called, reconnecting after a failure. */
export function stream(path: string, handlers: StreamHandlers): () => void {
  const controller = new AbortController();
  let retry: number | undefined;

  const connect = async () => {
    try {
      const response = await fetch(`/api/v1${path}`, {
        headers: { Accept: "text/event-stream", ...(await authorization()) },
        signal: controller.signal,
        cache: "no-store",
      });
      if (!response.ok || !response.body) {
        throw new Error(`the event stream ${path} answered ${response.status}`);
      }
      handlers.onOpen?.();
      await read(response.body, handlers.onEvent);
      if (handlers.onEnd ? handlers.onEnd() : true) {
        retry = window.setTimeout(connect, RETRY_MILLISECONDS);
      }
    } catch (error) {
      if (controller.signal.aborted) {
        return;
      }
      handlers.onError?.(error instanceof Error ? error.message : String(error));
      retry = window.setTimeout(connect, RETRY_MILLISECONDS);
    }
  };
  connect();
  return () => {
    controller.abort();
    window.clearTimeout(retry);
  };
}

/** The text/event-stream format: fields one a line, events separated by an empty line, comments start with ':'. */
async function read(body: ReadableStream<Uint8Array>, onEvent: (event: ServerEvent) => void) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let event: ServerEvent = { event: "message", data: "" };
  let hasData = false;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      return;
    }
    buffer += decoder.decode(value, { stream: true });
    let newline: number;
    while ((newline = buffer.search(/\r?\n|\r/)) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith("\r\n", newline) ? 2 : 1));
      if (line === "") {
        if (hasData) {
          onEvent(event);
        }
        event = { event: "message", data: "" };
        hasData = false;
        continue;
      }
      if (line.startsWith(":")) {
        continue;
      }
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") {
        event.event = value;
      } else if (field === "data") {
        event.data = hasData ? `${event.data}\n${value}` : value;
        hasData = true;
      } else if (field === "id") {
        event.id = value;
      }
    }
  }
}
