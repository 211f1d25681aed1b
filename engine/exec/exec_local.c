/*
 * The local executor: each job is /bin/sh -c CMD (or its plain words) in
 * a process group of its own, started with vfork (copying this process's
 * page tables for every stage would cost more than many stages do; a
 * child that runs code was needed, which posix_spawn cannot give),
 * waited for with wait4, and with a timeout through sigtimedwait on a
 * blocked SIGCHLD.
 */
#define _GNU_SOURCE	/* execvpe, NSIG */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "exec_local.h"
#include "executor.h"
#include "orphans.h"
#include "util.h"

static int64_t local_now(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* envp: this process's environment with vars[] set over it. */
static char **merged_env(char *const *vars, size_t nvars)
{
	extern char **environ;
	size_t n = 0, k, v;
	char **env;

	while (environ[n])
		n++;
	env = xcalloc(n + nvars + 1, sizeof(char *));
	for (k = v = 0; k < n; k++) {
		const char *eq = strchr(environ[k], '=');
		size_t len = eq ? (size_t)(eq - environ[k]) : strlen(environ[k]);
		size_t m;

		for (m = 0; m < nvars; m++)
			if (!strncmp(vars[m], environ[k], len) &&
			    vars[m][len] == '=')
				break;
		if (m == nvars)
			env[v++] = environ[k];
	}
	for (k = 0; k < nvars; k++)
		env[v++] = vars[k];
	return env;
}

/*
 * A command that is only words of plain characters, the first not a
 * shell builtin or keyword, means the same run directly as through
 * /bin/sh -c: it is exec'd as those words (as make does), which saves
 * starting a shell for each stage.  Its words go into *argv (in *copy).
 */
static int plain_words(const char *cmd, char **copy, char ***argv)
{
	static const char *const shell_words[] = {
		"alias", "bg", "break", "cd", "command", "continue", "echo",
		"eval", "exec", "exit", "export", "false", "fc", "fg",
		"getopts", "hash", "jobs", "kill", "local", "printf", "pwd",
		"read", "readonly", "return", "set", "shift", "test", "times",
		"trap", "true", "type", "ulimit", "umask", "unalias", "unset",
		"wait", "if", "then", "else", "elif", "fi", "do", "done",
		"case", "esac", "while", "until", "for", "in", "[", "!", ".",
		":",
	};
	const char *c;
	char *p, **v;
	size_t n = 0, i;

	for (c = cmd; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || strchr(" _-./,+@%^:", *c)))
			return 0;
	*copy = xstrdup(cmd);
	v = xcalloc(strlen(cmd) / 2 + 2, sizeof(char *));
	for (p = *copy; *p;) {
		while (*p == ' ')
			*p++ = '\0';
		if (!*p)
			break;
		v[n++] = p;
		while (*p && *p != ' ')
			p++;
	}
	if (!n || strchr(v[0], '='))
		goto no;
	for (i = 0; i < sizeof(shell_words) / sizeof(shell_words[0]); i++)
		if (!strcmp(v[0], shell_words[i]))
			goto no;
	*argv = v;
	return 1;
no:
	free(*copy);
	*copy = NULL;
	free(v);
	return 0;
}

/*
 * What the child needs, all made ready before vfork: the child runs on
 * this process's memory until it execs, so it only makes system calls
 * (no allocation, no stdio, no locks another thread may hold), and says
 * what failed through step and err.
 */
struct child {
	char *const *words;	/* the plain words, or NULL */
	char *const *argv;	/* sh -c CMD */
	char *const *env;
	const char *log, *wdir;
	pid_t parent;
	sigset_t none;
	volatile int step, err;	/* set by the child before it exits */
};

enum { STEP_NONE, STEP_NULL, STEP_LOG, STEP_WDIR, STEP_EXEC };

static _Noreturn void child_fail(struct child *c, int step)
{
	c->err = errno ? errno : EINVAL;
	c->step = step;
	_exit(127);
}

/* Close every descriptor from 3 up. */
static void close_from_3(void)
{
	struct rlimit rl;
	long fd, top;

#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0)
		return;
#endif
	/* A kernel before 5.9: each one the limit allows. */
	top = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
		      ? (long)rl.rlim_cur
		      : 65536;
	for (fd = 3; fd < top; fd++)
		close((int)fd);
}

static _Noreturn void child_run(struct child *c)
{
	struct sigaction sa;
	int sig, fd;

	setpgid(0, 0);
	/* The coordinator killed (even by SIGKILL): this process dies too.
	 * It follows the thread that spawned it, which is the run loop's
	 * (the main thread).  The parent may have died before the prctl. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != c->parent)
		_exit(127);
	/* Signals are blocked: handlers this process set must not run
	 * here before exec resets them. */
	for (sig = 1; sig < NSIG; sig++)
		if (sigaction(sig, NULL, &sa) == 0 &&
		    sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN) {
			sa.sa_handler = SIG_DFL;
			sa.sa_flags = 0;
			sigaction(sig, &sa, NULL);
		}
	if ((fd = open("/dev/null", O_RDONLY)) < 0 ||
	    (fd != 0 && dup2(fd, 0) < 0))
		child_fail(c, STEP_NULL);
	if ((fd = open(c->log, O_WRONLY | O_CREAT | O_TRUNC, 0666)) < 0 ||
	    (fd != 1 && dup2(fd, 1) < 0) || dup2(1, 2) < 0)
		child_fail(c, STEP_LOG);
	if (chdir(c->wdir) < 0)
		child_fail(c, STEP_WDIR);
	/* Only what the stage is given: no store, lock or log of ours, nor
	 * anything this process inherited. */
	close_from_3();
	sigprocmask(SIG_SETMASK, &c->none, NULL);
	/* Directly when plain; a command not found goes through the shell,
	 * which says so in the log. */
	if (c->words)
		execvpe(c->words[0], c->words, c->env);
	execve("/bin/sh", c->argv, c->env);
	child_fail(c, STEP_EXEC);
}

/* Start c's child: its pid, or -1 with errno set. */
static pid_t spawn_child(struct child *c)
{
	sigset_t all, old;
	pid_t pid;
	int e;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = vfork();
	if (pid == 0)
		child_run(c);
	e = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return pid;
}

static int local_start(void *ctx, const struct exec_job *job, long *id,
		       struct err *err)
{
	struct exec_local *l = ctx;
	char sh[] = "sh", dash_c[] = "-c";
	char *cmd = xstrdup(job->cmd), *words = NULL, **wargv = NULL;
	char *argv[] = { sh, dash_c, cmd, NULL };
	char **env = merged_env(job->env, job->nenv);
	struct child c;
	pid_t pid;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	if (plain_words(job->cmd, &words, &wargv))
		c.words = wargv;
	c.argv = argv;
	c.env = env;
	c.log = job->log;
	c.wdir = job->wdir;
	c.parent = getpid();
	sigemptyset(&c.none);
	fflush(NULL);
	pid = spawn_child(&c);
	if (pid < 0) {
		err_errno(err, "cannot start /bin/sh");
		goto out;
	}
	if (c.step) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		errno = c.err;
		if (c.step == STEP_NULL)
			err_errno(err, "cannot open '/dev/null'");
		else if (c.step == STEP_LOG)
			err_errno(err, "cannot open log '%s'", job->log);
		else if (c.step == STEP_WDIR)
			err_errno(err, "cannot enter '%s'", job->wdir);
		else
			err_errno(err, "cannot start /bin/sh");
		goto out;
	}
	if (l->running && orphans_note(l->running, pid, err) < 0) {
		kill(-pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		goto out;
	}
	*id = (long)pid;
	rc = 0;
out:
	free(words);
	free(wargv);
	free(env);
	free(cmd);
	return rc;
}

static int local_wait(void *ctx, int64_t timeout_ns, struct exec_end *end)
{
	struct exec_local *l = ctx;
	struct rusage ru;
	int status;
	pid_t pid;

	for (;;) {
		pid = wait4(-1, &status, timeout_ns < 0 ? 0 : WNOHANG, &ru);
		if (pid > 0)
			break;
		if (pid < 0 || timeout_ns <= 0)
			return 0;	/* a signal, no children, or time up */
		{
			struct timespec ts;
			ts.tv_sec = (time_t)(timeout_ns / 1000000000LL);
			ts.tv_nsec = (long)(timeout_ns % 1000000000LL);
			if (sigtimedwait(&l->chld, NULL, &ts) < 0)
				return 0;
		}
		timeout_ns = 0;	/* a child ended: one more look */
	}
	if (l->running)
		orphans_ended(l->running, pid);
	memset(end, 0, sizeof(*end));	/* no scheduler, no job id */
	end->id = (long)pid;
	end->status = status;
	end->end_ns = local_now(ctx);
	end->peak_rss_kib = ru.ru_maxrss;
	end->cpu_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
		     (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
	return 1;
}

static void local_kill(void *ctx, long id, int sig)
{
	(void)ctx;
	kill(-(pid_t)id, sig);
}

void exec_local_open(struct exec_local *l, struct executor *e)
{
	sigemptyset(&l->chld);
	sigaddset(&l->chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &l->chld, &l->old);
	l->running = NULL;
	e->ctx = l;
	e->start = local_start;
	e->wait = local_wait;
	e->kill = local_kill;
	e->now = local_now;
	e->watch = NULL;
	e->adopt = NULL;
}

void exec_local_record(struct exec_local *l, const char *workspace)
{
	struct buf b = BUF_INIT;

	orphans_path(workspace, &b);
	if (!l->running)
		l->running = xmalloc(sizeof(*l->running));
	else
		orphans_release(l->running);
	orphans_init(l->running, b.data);
	buf_release(&b);
}

void exec_local_close(struct exec_local *l)
{
	sigprocmask(SIG_SETMASK, &l->old, NULL);
	if (l->running) {
		orphans_release(l->running);
		free(l->running);
		l->running = NULL;
	}
}
