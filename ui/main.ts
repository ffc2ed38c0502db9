// The task page: sign in with the switchboard's token, then the task list refreshed about
// once a second, and a terminal panel for Exec and Attach. A 401 anywhere brings the
// sign-in form back with the reason.
import { ApiError, fetchStatistics, fetchTasks, forgetToken, saveToken, storedToken, tokenOf } from './api.js';
import { TaskList } from './task-list.js';
import { TerminalPanel } from './terminal.js';

const REFRESH_MS = 1000;

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
};

const signIn = $<HTMLFormElement>('sign-in');
const signInError = $('sign-in-error');
const tokenInput = $<HTMLInputElement>('token');
const tasksView = $('tasks');
const refreshStatus = $('refresh-status');
const signOut = $<HTMLButtonElement>('sign-out');

const terminal = new TerminalPanel({ panel: $('terminal'), title: $('terminal-title'), status: $('terminal-status'), screen: $('terminal-screen'), close: $<HTMLButtonElement>('terminal-close') });
const list = new TaskList($<HTMLTableElement>('task-table'), $('no-tasks'), {
  onExec: (taskId, command) => withToken((token) => terminal.start({ kind: 'exec', taskId, command }, token)),
  onAttach: (taskId) => withToken((token) => terminal.start({ kind: 'attach', taskId }, token)),
});

// Test and debugging hooks: the terminal's text (xterm draws it into many elements) and size.
Object.assign(window, { __terminalText: () => terminal.text(), __terminalSize: () => terminal.size() });

let refreshTimer: number | undefined;
/** Bumped on sign-in and sign-out: an answer to an older session's poll is dropped. */
let generation = 0;

function withToken(use: (token: string) => void): void {
  const token = storedToken();
  if (token) use(token);
  else showSignIn('Sign in first.');
}

function showSignIn(message: string): void {
  generation++;
  window.clearTimeout(refreshTimer);
  terminal.close();
  forgetToken();
  tasksView.hidden = true;
  signOut.hidden = true;
  signIn.hidden = false;
  signInError.textContent = message;
  signInError.hidden = !message;
  tokenInput.focus();
}

function showTasks(): void {
  signIn.hidden = true;
  signInError.hidden = true;
  tasksView.hidden = false;
  signOut.hidden = false;
  const mine = ++generation;
  void refresh(mine);
}

async function refresh(mine: number): Promise<void> {
  const token = storedToken();
  if (!token || mine !== generation) return;
  try {
    const [tasks, stats] = await Promise.all([fetchTasks(token), fetchStatistics(token)]);
    if (mine !== generation) return;
    list.update(tasks, stats);
    refreshStatus.textContent = `updated ${new Date().toLocaleTimeString()}`;
    refreshStatus.dataset.tone = 'ok';
  } catch (err) {
    if (mine !== generation) return;
    if (err instanceof ApiError && err.status === 401) return showSignIn(err.message);
    refreshStatus.textContent = err instanceof Error ? err.message : String(err);
    refreshStatus.dataset.tone = 'bad';
  }
  refreshTimer = window.setTimeout(() => void refresh(mine), REFRESH_MS);
}

signIn.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = tokenOf(tokenInput.value);
  tokenInput.value = '';
  if (!token) return showSignIn('Paste the token (the first line of the token file).');
  saveToken(token);
  showTasks();
});
signOut.addEventListener('click', () => showSignIn(''));

if (storedToken()) showTasks();
else showSignIn('');
