// One EventSource on /api/v1/events for the whole page: views subscribe to job events and refresh
// what they show, so nothing needs a page reload while jobs start and end.

export interface JobEvent {
  seq: number;
  time: string;
  job: number;
  type: string;
  message: string;
}

type Listener = (e: JobEvent) => void;

const listeners = new Set<Listener>();
let source: EventSource | null = null;
let lastSeq = 0;
let connected = false;
const statusListeners = new Set<(connected: boolean) => void>();

function setConnected(value: boolean): void {
  connected = value;
  for (const l of statusListeners) l(value);
}

function open(): void {
  // After a drop, resume from the last event seen so that nothing is missed.
  const url = "/api/v1/events" + (lastSeq > 0 ? `?since=${lastSeq}` : "");
  const es = new EventSource(url, { withCredentials: true });
  source = es;
  es.onopen = () => setConnected(true);
  es.addEventListener("job", (m) => {
    const ev = JSON.parse((m as MessageEvent).data) as JobEvent;
    if (ev.seq > lastSeq) lastSeq = ev.seq;
    for (const l of listeners) l(ev);
  });
  es.addEventListener("overflow", (m) => {
    const { last_seq } = JSON.parse((m as MessageEvent).data) as { last_seq: number };
    lastSeq = last_seq;
    es.close();
    open();
  });
  es.onerror = () => {
    // EventSource would reconnect without `since`; reconnect ourselves to keep the position.
    setConnected(false);
    es.close();
    if (source === es) {
      source = null;
      setTimeout(() => {
        if (source === null && listeners.size > 0) open();
      }, 1000);
    }
  };
}

export function startEvents(): void {
  if (!source) open();
}

export function stopEvents(): void {
  source?.close();
  source = null;
  lastSeq = 0;
  setConnected(false);
}

export function isConnected(): boolean {
  return connected;
}

export function onConnectionChange(l: (connected: boolean) => void): () => void {
  statusListeners.add(l);
  return () => statusListeners.delete(l);
}

export function onJobEvent(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

/** Calls fn at most once per `ms` while events keep arriving (a trailing call included). */
export function debounce(fn: () => void, ms: number): () => void {
  let timer: number | undefined;
  let last = 0;
  return () => {
    if (timer !== undefined) return;
    const wait = Math.max(0, last + ms - Date.now());
    timer = window.setTimeout(() => {
      timer = undefined;
      last = Date.now();
      fn();
    }, wait);
  };
}
