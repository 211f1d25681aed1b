/*
 * The local executor: each job is /bin/sh -c CMD in a process group of
 * its own, started with posix_spawn (copying this process's page tables
 * for every stage would cost more than many stages do), waited for with
 * wait4, and with a timeout through sigtimedwait on a blocked SIGCHLD.
 */
#define _GNU_SOURCE	/* posix_spawn_file_actions_addchdir_np */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "executor.h"
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

static int local_start(void *ctx, const struct exec_job *job, long *id,
		       struct err *err)
{
	char sh[] = "sh", dash_c[] = "-c";
	char *cmd = xstrdup(job->cmd), *words = NULL, **wargv = NULL;
	char *argv[] = { sh, dash_c, cmd, NULL };
	char **env = merged_env(job->env, job->nenv);
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none;
	pid_t pid;
	int e = -1;

	(void)ctx;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, job->log,
					 O_WRONLY | O_CREAT | O_TRUNC, 0666);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	posix_spawn_file_actions_addchdir_np(&fa, job->wdir);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
					      POSIX_SPAWN_SETSIGMASK);
	fflush(NULL);
	/* Directly when plain; a command not found goes through the shell,
	 * which says so in the log. */
	if (plain_words(job->cmd, &words, &wargv))
		e = posix_spawnp(&pid, wargv[0], &fa, &at, wargv, env);
	if (e)
		e = posix_spawn(&pid, "/bin/sh", &fa, &at, argv, env);
	free(words);
	free(wargv);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	free(env);
	free(cmd);
	if (e) {
		errno = e;
		return err_errno(err, "cannot start /bin/sh");
	}
	*id = (long)pid;
	return 0;
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
	e->ctx = l;
	e->start = local_start;
	e->wait = local_wait;
	e->kill = local_kill;
	e->now = local_now;
	e->watch = NULL;
	e->adopt = NULL;
}

void exec_local_close(struct exec_local *l)
{
	sigprocmask(SIG_SETMASK, &l->old, NULL);
}
