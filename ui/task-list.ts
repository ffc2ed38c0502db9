// The task table: one row per task, keyed by task id and updated in place on every refresh,
// so a command being typed into a row's Exec field survives the next poll. What each cell
// says is decided by pure functions (cellsOf); the DOM code only writes text.
import type { CheckRun, ContainerId, PageTask, Statistics } from './api.js';
import { formatAge, formatBytes } from './common/units.js';

export interface TaskActions {
  onExec(taskId: string, command: string): void;
  onAttach(taskId: string): void;
}

/** `<root>.<child>`, as Mesos prints a nested ContainerID. */
export function containerIdText(id: ContainerId): string {
  return id.parent ? `${containerIdText(id.parent)}.${id.value}` : id.value;
}

const TERMINAL_STATES = new Set(['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED', 'TASK_GONE']);

export interface TaskCells {
  state: string;
  /** `ok`, `bad`, `ended` or `unknown`: the row's colour. */
  tone: 'ok' | 'bad' | 'ended' | 'unknown';
  healthy: string;
  lastCheck: string;
  /** Why a terminal task ended (reason, message); empty while it runs. */
  ended: string;
  container: string;
  isolation: string;
  cpu: string;
  memory: string;
  processes: string;
  age: string;
  canExec: boolean;
  canAttach: boolean;
}

export function cellsOf(task: PageTask, stats: Statistics | undefined): TaskCells {
  const terminal = task.terminated || (task.state !== null && TERMINAL_STATES.has(task.state));
  const tone = terminal ? (task.state === 'TASK_FINISHED' ? 'ended' : 'bad') : task.healthy === false ? 'bad' : task.healthy === true ? 'ok' : 'unknown';
  const reason = task.reason?.replace(/^REASON_/, '') ?? '';
  return {
    state: task.state?.replace(/^TASK_/, '') ?? 'PENDING',
    tone,
    healthy: task.healthy === null ? '-' : task.healthy ? 'healthy' : 'unhealthy',
    // An ended task's last update is its terminal one: its last check is the history's.
    lastCheck: (terminal ? task.check_history.at(-1)?.result : task.last_check) ?? '-',
    ended: terminal ? [reason, task.message].filter(Boolean).join(': ') : '',
    container: containerIdText(task.container_id),
    // A space after each comma lets `namespaces,cgroups` wrap in a narrow column.
    isolation: task.isolation?.replace(/,/g, ', ') ?? '-',
    cpu: stats?.cpuSeconds == null ? '-' : `${stats.cpuSeconds.toFixed(2)}s`,
    memory: stats && (stats.memRssBytes !== null || stats.memLimitBytes !== null) ? `${formatBytes(stats.memRssBytes)} / ${formatBytes(stats.memLimitBytes)}` : '-',
    processes: stats?.processes == null ? '-' : String(stats.processes),
    age: formatAge(task.age_seconds),
    canExec: !terminal,
    canAttach: task.tty && !terminal,
  };
}

/** `http 200 ×12`: a run of one result (the tooltip of its mark). */
export function checkRunText(run: CheckRun): string {
  return `${run.result ?? (run.healthy === null ? 'checked' : run.healthy ? 'healthy' : 'unhealthy')}${run.count > 1 ? ` ×${run.count}` : ''}`;
}

const RUN_MARKS: Record<string, string> = { ok: '✓', bad: '✗', unknown: '•' };

/** A run as a mark in the history row, a sparkline of sorts: `✓`, `✗3` (three failures in a row). */
export function checkRunMark(run: CheckRun): string {
  return `${RUN_MARKS[runTone(run)]}${run.count > 1 ? run.count : ''}`;
}

function runTone(run: CheckRun): 'ok' | 'bad' | 'unknown' {
  if (run.healthy === true || /^(exit 0|http 2\d\d|tcp ok)$/.test(run.result ?? '')) return 'ok';
  if (run.healthy === false) return 'bad';
  return run.result && /^(exit [1-9]|http [45]|tcp failed)/.test(run.result) ? 'bad' : 'unknown';
}

const time = (iso: string): string => new Date(iso).toLocaleTimeString();

const TEXT_CELLS = ['healthy', 'lastCheck', 'container', 'isolation', 'cpu', 'memory', 'processes', 'age'] as const;

/** The column headers, in the order of the cells (the phone layout shows them as labels). */
const LABELS: Record<(typeof TEXT_CELLS)[number] | 'task' | 'state' | 'history' | 'actions', string> = {
  task: 'Task', state: 'State', healthy: 'Health', lastCheck: 'Last check', history: 'History',
  container: 'Container', isolation: 'Isolation', cpu: 'CPU', memory: 'Memory', processes: 'Procs', age: 'Age', actions: '',
};
const ORDER = ['task', 'state', 'healthy', 'lastCheck', 'history', 'container', 'isolation', 'cpu', 'memory', 'processes', 'age', 'actions'] as const;
const STAT_CELLS = new Set(['cpu', 'memory', 'processes']);
const columnClass = (key: string): string => `${key}${STAT_CELLS.has(key) ? ' stat' : ''}`;

interface Row {
  tr: HTMLTableRowElement;
  /** The state, and under it why the task ended. */
  state: Text;
  ended: HTMLElement;
  cells: Record<(typeof ORDER)[number], HTMLTableCellElement>;
  history: HTMLOListElement;
  exec: HTMLFormElement;
  attach: HTMLButtonElement;
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

export class TaskList {
  readonly #table: HTMLTableElement;
  readonly #body: HTMLTableSectionElement;
  readonly #empty: HTMLElement;
  readonly #actions: TaskActions;
  readonly #rows = new Map<string, Row>();

  constructor(table: HTMLTableElement, empty: HTMLElement, actions: TaskActions) {
    this.#table = table;
    this.#empty = empty;
    this.#actions = actions;
    const head = table.createTHead().insertRow();
    for (const key of ORDER) {
      const th = element('th', columnClass(key), LABELS[key]);
      th.scope = 'col';
      if (key === 'memory') th.title = 'resident set size / limit';
      head.append(th);
    }
    this.#body = table.tBodies[0] ?? table.createTBody();
  }

  /** `stats` null: the principal may not see container statistics, so the columns are hidden. */
  update(tasks: readonly PageTask[], stats: Map<string, Statistics> | null): void {
    this.#table.classList.toggle('no-stats', stats === null);
    this.#empty.hidden = tasks.length > 0;
    const seen = new Set<string>();
    for (const task of tasks) {
      seen.add(task.task_id);
      let row = this.#rows.get(task.task_id);
      if (!row) {
        row = this.#createRow(task.task_id);
        this.#rows.set(task.task_id, row);
      }
      this.#body.append(row.tr);
      this.#fill(row, task, stats?.get(task.container_id.value));
    }
    for (const [id, row] of this.#rows) {
      if (seen.has(id)) continue;
      row.tr.remove();
      this.#rows.delete(id);
    }
  }

  #createRow(taskId: string): Row {
    const tr = element('tr');
    tr.dataset.taskId = taskId;
    const cells = {} as Row['cells'];
    for (const key of ORDER) {
      const td = element('td', columnClass(key));
      if (LABELS[key]) td.dataset.label = LABELS[key];
      cells[key] = td;
      tr.append(td);
    }
    cells.task.textContent = taskId;
    const state = document.createTextNode('');
    const ended = element('div', 'ended');
    cells.state.append(state, ended);
    const history = element('ol', 'runs');
    cells.history.append(history);
    const exec = element('form', 'exec');
    const command = element('input');
    Object.assign(command, { name: 'command', type: 'text', placeholder: '/bin/sh', autocomplete: 'off', spellcheck: false });
    command.setAttribute('aria-label', `command to run in ${taskId} (empty: a shell)`);
    exec.append(command, element('button', 'exec-button', 'Exec'));
    exec.addEventListener('submit', (event) => {
      event.preventDefault();
      this.#actions.onExec(taskId, command.value);
    });
    const attach = element('button', 'attach-button', 'Attach');
    attach.type = 'button';
    attach.addEventListener('click', () => this.#actions.onAttach(taskId));
    const box = element('div', 'actions-box');
    box.append(exec, attach);
    cells.actions.append(box);
    return { tr, state, ended, cells, history, exec, attach };
  }

  #fill(row: Row, task: PageTask, stats: Statistics | undefined): void {
    const cells = cellsOf(task, stats);
    row.tr.className = `tone-${cells.tone}`;
    for (const key of TEXT_CELLS) if (row.cells[key].textContent !== cells[key]) row.cells[key].textContent = cells[key];
    row.state.data = cells.state;
    row.ended.textContent = cells.ended;
    // Shown cut short; the whole id is its text (copyable) and its tooltip.
    row.cells.container.title = cells.container;
    row.exec.hidden = !cells.canExec;
    row.attach.hidden = !cells.canAttach;
    const runs = task.check_history.map((run) => {
      const li = element('li', `run tone-${runTone(run)}`, checkRunMark(run));
      li.title = `${checkRunText(run)}, ${run.count > 1 ? `${time(run.since)} – ${time(run.last)}` : time(run.since)}`;
      return li;
    });
    if (runs.length === 0) runs.push(element('li', 'run tone-unknown', '-'));
    // Replaced only when it changed: a hovered entry keeps its tooltip between polls.
    if (row.history.dataset.key !== JSON.stringify(task.check_history)) {
      row.history.replaceChildren(...runs);
      row.history.dataset.key = JSON.stringify(task.check_history);
    }
  }
}
