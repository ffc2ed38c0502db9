// The init of a container: PID 1 of its pid namespace, so it must reap orphans and pass
// signals on (`krallin/tini: src/tini.c` is the model). Perl, because it ships with the
// base system of the distributions Mesos agents run (Debian's perl-base is Essential) and
// starts in a few ms; Node takes hundreds of ms on a loaded agent, a shell cannot reap
// reliably, and a C init would need a compiler on the agent. Passed with `perl -e`, so the
// package carries no extra file. The isolation probe checks that perl is there.
//
// argv: <status file or ''> <uid or ''> <gid or ''> <n> <n cgroup.procs files> <file> <argv0> <args...>
// It joins the cgroups before forking (so nothing the task starts escapes them), forwards
// signals to the child, reaps every process until the child exits, writes the child's
// wait status to the status file (`exit <code>` / `signal <n>[ core]` / `error <text>`), and
// exits; the kernel then kills whatever is left in the pid namespace.
export const INIT_SCRIPT = String.raw`
$0 = 'mesos-sidecar-init';
my ($status, $uid, $gid, $n, @rest) = @ARGV;
my @procs = splice(@rest, 0, $n);
my ($file, @argv) = @rest;
sub report {
  return if $status eq '';
  open(my $h, '>', "$status.tmp") or return;
  print $h $_[0];
  close($h);
  rename("$status.tmp", $status);
}
sub fail { report("error $_[0]\n"); print STDERR "mesos-sidecar-init: $_[0]\n"; exit 127; }
for my $f (@procs) {
  my $h;
  (open($h, '>', $f) and print($h "0\n") and close($h)) or fail("cannot join cgroup $f: $!");
}
my $child = 0;
my @pending;
my @forwarded = qw(HUP INT QUIT TERM USR1 USR2 WINCH CONT ALRM);
for my $sig (@forwarded) {
  $SIG{$sig} = sub { if ($child) { kill $_[0], $child } else { push @pending, $_[0] } };
}
my $before = @pending;
$child = fork();
fail("cannot fork: $!") unless defined $child;
if ($child == 0) {
  # The parent's handlers are inherited until exec: a signal the parent forwards at once
  # would be swallowed here. Back to the defaults, and what was caught since the fork again.
  $SIG{$_} = 'DEFAULT' for @forwarded;
  kill $_, $$ for splice(@pending, $before);
  # With a terminal, the command leads a new session owning it (TIOCSCTTY, 0x540E on x86
  # and arm): the terminal's first owner sits outside the pid namespace, where a shell
  # could neither see nor restore its process group. POSIX loads only here: it costs
  # tens of ms on a busy host, which every launch would pay.
  if (-t STDIN) { require POSIX; POSIX::setsid(); ioctl(STDIN, 0x540E, 1) or fail("cannot acquire the terminal: $!"); }
  # Dropped in the child only: init stays root to keep reaping and signalling.
  if ($gid ne '') { $( = $gid; $) = "$gid $gid"; $) == $gid or fail("cannot set gid $gid: $!"); }
  if ($uid ne '') { $< = $> = $uid; $> == $uid or fail("cannot set uid $uid: $!"); }
  exec { $file } @argv;
  fail("cannot execute '$file': $!");
}
kill $_, $child for @pending;
while (1) {
  my $pid = waitpid(-1, 0);
  last if $pid == -1;
  next unless $pid == $child;
  my $st = $?;
  # The child reports its own exec failure; keep that line.
  exit 127 if -e $status;
  if ($st & 127) { report('signal ' . ($st & 127) . (($st & 128) ? ' core' : '') . "\n"); exit(128 + ($st & 127)); }
  report('exit ' . ($st >> 8) . "\n");
  exit($st >> 8);
}
fail('lost the child');
`;

export interface InitArgs {
  statusFile: string;
  uid?: number | undefined;
  gid?: number | undefined;
  procsFiles: readonly string[];
  file: string;
  argv0: string;
  args: readonly string[];
}

/** The `perl` argv running INIT_SCRIPT. */
export function initArgv(a: InitArgs): string[] {
  return ['-e', INIT_SCRIPT, '--', a.statusFile, a.uid === undefined ? '' : String(a.uid), a.gid === undefined ? '' : String(a.gid), String(a.procsFiles.length), ...a.procsFiles, a.file, a.argv0, ...a.args];
}

export type InitStatus =
  | { kind: 'exit'; code: number }
  | { kind: 'signal'; signal: number; core: boolean }
  | { kind: 'error'; message: string };

/** Parses the status file's one line; undefined for anything else. */
export function parseInitStatus(text: string | undefined): InitStatus | undefined {
  const line = text?.split('\n')[0] ?? '';
  let m = /^exit (\d+)$/.exec(line);
  if (m) return { kind: 'exit', code: Number(m[1]) };
  m = /^signal (\d+)( core)?$/.exec(line);
  if (m) return { kind: 'signal', signal: Number(m[1]), core: m[2] !== undefined };
  m = /^error (.+)$/.exec(line);
  if (m) return { kind: 'error', message: m[1]! };
  return undefined;
}
