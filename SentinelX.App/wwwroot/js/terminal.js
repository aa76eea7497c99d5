// Web terminals on xterm.js. Each session has its own WebSocket to /ui/terminal/{node}: binary
// frames carry terminal bytes both ways (UTF-8), text frames carry resize messages to the Node.
// Every session is listed in window.sentinelxTerminals so scripts and tests can read its screen.

const sessions = new Map();
window.sentinelxTerminals = {
  ids: () => [...sessions.keys()],
  // The whole buffer (scrollback and screen) as text, one line per row, trailing blanks trimmed.
  text: (id) => {
    const term = sessions.get(id)?.term;
    if (!term) return null;
    const buffer = term.buffer.active;
    const lines = [];
    for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? "");
    return lines.join("\n").replace(/\s+$/, "");
  },
  size: (id) => {
    const term = sessions.get(id)?.term;
    return term ? { cols: term.cols, rows: term.rows } : null;
  },
  status: (id) => sessions.get(id)?.state ?? null,
  type: (id, text) => sessions.get(id)?.send(text),
  selectAll: (id) => sessions.get(id)?.term.selectAll(),
};

let loading;
function loadXterm() {
  if (window.Terminal && window.FitAddon) return Promise.resolve();
  loading ??= new Promise((resolve, reject) => {
    const css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = "lib/xterm/xterm.css";
    document.head.appendChild(css);
    const add = (src, next) => {
      const script = document.createElement("script");
      script.src = src;
      script.onload = next;
      script.onerror = () => { loading = undefined; reject(new Error(src + " did not load")); };
      document.head.appendChild(script);
    };
    add("lib/xterm/xterm.js", () => add("lib/xterm/addon-fit.js", () => resolve()));
  });
  return loading;
}

async function copy(text) {
  if (!text) return;
  if (window.sentinelx?.copyText) await window.sentinelx.copyText(text);
  else await navigator.clipboard?.writeText(text);
}

async function paste(term) {
  try {
    const text = await navigator.clipboard.readText();
    if (text) term.paste(text);
  } catch {
    // Reading the clipboard needs a secure context and permission; Ctrl+V still pastes through the browser.
  }
}

// Opens a terminal in `host` (an element with .sx-term-screen and .sx-term-status inside) connected
// to `path` (e.g. "/ui/terminal/abc"). `labels` are the status texts in the user's language.
export async function open(id, host, path, labels) {
  await loadXterm();
  const screen = host.querySelector(".sx-term-screen");
  const status = host.querySelector(".sx-term-status");
  const term = new window.Terminal({
    cursorBlink: true,
    fontFamily: "ui-monospace, 'Cascadia Mono', 'DejaVu Sans Mono', 'Noto Sans Mono CJK SC', 'Noto Sans CJK SC', monospace",
    fontSize: 14,
    scrollback: 5000,
    rightClickSelectsWord: false,
    theme: { background: "#1e1e1e", foreground: "#d4d4d4", cursor: "#f0f0f0", selectionBackground: "#264f78" },
  });
  const fit = new window.FitAddon.FitAddon();
  term.loadAddon(fit);
  term.open(screen);
  fitVisible(fit, screen);

  const session = { term, fit, socket: null, state: "connecting", observer: null, send: null };
  sessions.set(id, session);
  const setState = (state, text) => {
    session.state = state;
    status.textContent = text;
    status.dataset.state = state;
    host.dataset.state = state;
  };
  setState("connecting", labels.connecting);

  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(`${scheme}//${location.host}${path}?cols=${term.cols}&rows=${term.rows}`);
  socket.binaryType = "arraybuffer";
  session.socket = socket;
  const encoder = new TextEncoder();
  session.send = (text) => { if (socket.readyState === WebSocket.OPEN) socket.send(encoder.encode(text)); };

  socket.onopen = () => { setState("connected", labels.connected); term.focus(); };
  // xterm decodes UTF-8 from byte arrays itself, including characters split across frames.
  socket.onmessage = (e) => { if (typeof e.data !== "string") term.write(new Uint8Array(e.data)); };
  socket.onclose = (e) => {
    const exit = /^(exit|signal) (\S+)$/.exec(e.reason || "");
    if (exit) setState("exited", labels.exited.replace("{0}", exit[1] === "signal" ? "signal " + exit[2] : exit[2]));
    else if (session.state === "connecting") setState("failed", labels.failed);
    else setState("closed", e.reason ? `${labels.closed} (${e.reason})` : labels.closed);
    term.options.cursorBlink = false;
  };

  term.onData((data) => session.send(data));
  term.onBinary((data) => {
    if (socket.readyState === WebSocket.OPEN) socket.send(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff));
  });
  term.onResize(({ cols, rows }) => {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "resize", cols, rows }));
  });

  // Copy: selecting copies (as in most terminals), and Ctrl+Shift+C. Paste: Ctrl+Shift+V and Ctrl+V
  // (the browser's paste event, which xterm handles), and right click.
  term.onSelectionChange(() => { if (term.hasSelection()) copy(term.getSelection()).catch(() => {}); });
  term.attachCustomKeyEventHandler((e) => {
    if (e.type !== "keydown" || !e.ctrlKey || !e.shiftKey) return true;
    if (e.code === "KeyC") { copy(term.getSelection()).catch(() => {}); return false; }
    // Ctrl+Shift+V: the browser pastes it (a paste event xterm handles); only keep it from the shell.
    if (e.code === "KeyV") return false;
    return true;
  });
  screen.addEventListener("contextmenu", (e) => {
    e.preventDefault();
    if (term.hasSelection()) { copy(term.getSelection()).catch(() => {}); term.clearSelection(); }
    else paste(term);
  });

  session.observer = new ResizeObserver(() => fitVisible(fit, screen));
  session.observer.observe(screen);
}

// A hidden tab has no size: fitting it then would shrink the terminal to nothing.
function fitVisible(fit, screen) {
  if (screen.clientWidth > 0 && screen.clientHeight > 0) fit.fit();
}

export function focus(id) {
  const session = sessions.get(id);
  if (!session) return;
  fitVisible(session.fit, session.term.element?.parentElement ?? session.term.element);
  session.term.focus();
}

export function close(id) {
  const session = sessions.get(id);
  if (!session) return;
  sessions.delete(id);
  session.observer?.disconnect();
  if (session.socket && session.socket.readyState <= WebSocket.OPEN) session.socket.close(1000, "closed");
  session.term.dispose();
}
