// The terminal panel: xterm.js with its fit addon on one WebSocket of the gateway. Bytes go
// both ways in binary frames; the window size follows the panel (sent as `resize`); the
// server's `exit` is shown as the command's status. Closing the panel closes the socket,
// which ends an exec session (the gateway kills it) or detaches.
import { Terminal } from './vendor/xterm.js';
import { FitAddon } from './vendor/addon-fit.js';
import type { WsClientMessage } from './contracts/ws-gateway.js';
import { credentialProtocols, describeClose, describeExit, gatewayUrl, parseServerMessage, type TerminalTarget } from './gateway.js';

export interface PanelElements {
  panel: HTMLElement;
  title: HTMLElement;
  status: HTMLElement;
  screen: HTMLElement;
  close: HTMLButtonElement;
}

interface Session {
  terminal: Terminal;
  socket: WebSocket;
  resizeObserver: ResizeObserver;
  /** The gateway said how it ended: a later close event adds nothing. */
  ended: boolean;
}

export class TerminalPanel {
  readonly #el: PanelElements;
  #session: Session | undefined;

  constructor(el: PanelElements) {
    this.#el = el;
    el.close.addEventListener('click', () => this.close());
  }

  get open(): boolean {
    return this.#session !== undefined;
  }

  /** The terminal's text, trailing blanks trimmed: the tests read the screen through this. */
  text(): string {
    const buffer = this.#session?.terminal.buffer.active;
    if (!buffer) return '';
    const lines: string[] = [];
    for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? '');
    return lines.join('\n').trimEnd();
  }

  /** The terminal's window size, null when none is open. */
  size(): { columns: number; rows: number } | null {
    const terminal = this.#session?.terminal;
    return terminal ? { columns: terminal.cols, rows: terminal.rows } : null;
  }

  start(target: TerminalTarget, token: string): void {
    this.close();
    const { panel, title, screen } = this.#el;
    panel.hidden = false;
    document.body.classList.add('terminal-open');
    title.textContent = target.kind === 'exec' ? `exec ${target.taskId}${target.command.trim() ? ` — ${target.command}` : ' — /bin/sh'}` : `attach ${target.taskId}`;
    this.#setStatus('connecting…', 'pending');
    const terminal = new Terminal({ cursorBlink: true, fontSize: 14, fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, monospace', scrollback: 5000 });
    const fit = new FitAddon();
    terminal.loadAddon(fit);
    terminal.open(screen);
    fit.fit();
    const socket = new WebSocket(gatewayUrl(location, target, { columns: terminal.cols, rows: terminal.rows }), credentialProtocols(token));
    socket.binaryType = 'arraybuffer';
    const session: Session = { terminal, socket, resizeObserver: new ResizeObserver(() => fit.fit()), ended: false };
    this.#session = session;
    const send = (message: WsClientMessage): void => {
      if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
    };
    const encoder = new TextEncoder();
    terminal.onData((data) => socket.readyState === WebSocket.OPEN && socket.send(encoder.encode(data)));
    terminal.onBinary((data) => socket.readyState === WebSocket.OPEN && socket.send(Uint8Array.from(data, (c) => c.charCodeAt(0))));
    terminal.onResize(({ cols, rows }) => send({ type: 'resize', columns: cols, rows }));
    session.resizeObserver.observe(screen);
    socket.addEventListener('message', (event: MessageEvent<ArrayBuffer | string>) => {
      if (typeof event.data !== 'string') {
        terminal.write(new Uint8Array(event.data));
        return;
      }
      const message = parseServerMessage(event.data);
      switch (message.type) {
        case 'started':
          this.#setStatus(`running in ${message.container_id}`, 'running');
          // An attached task's terminal takes this window's size (exec got it in the URL).
          if (target.kind === 'attach') send({ type: 'resize', columns: terminal.cols, rows: terminal.rows });
          terminal.focus();
          return;
        case 'exit':
          session.ended = true;
          this.#setStatus(describeExit(message), message.exit_code === 0 ? 'ok' : 'bad');
          return;
        case 'error':
          session.ended = true;
          this.#setStatus(`error: ${message.message}`, 'bad');
          return;
        case 'unknown':
          this.#setStatus(`unexpected message from the gateway: ${message.text.slice(0, 120)}`, 'bad');
      }
    });
    socket.addEventListener('close', (event) => {
      if (this.#session !== session || session.ended) return;
      this.#setStatus(describeClose(event.code, event.reason), 'bad');
    });
  }

  close(): void {
    const session = this.#session;
    if (!session) return;
    this.#session = undefined;
    session.resizeObserver.disconnect();
    session.socket.close(1000);
    session.terminal.dispose();
    this.#el.screen.replaceChildren();
    this.#el.panel.hidden = true;
    document.body.classList.remove('terminal-open');
  }

  #setStatus(text: string, tone: string): void {
    this.#el.status.textContent = text;
    this.#el.status.dataset.tone = tone;
  }
}
