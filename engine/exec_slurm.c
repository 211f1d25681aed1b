#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "exec_slurm.h"
#include "executor.h"
#include "graph.h"
#include "interp.h"
#include "interrupt.h"
#include "util.h"

extern char **environ;

struct slurm_job {
	long id;
	char *rc;		/* the status file the wrapper writes */
	char *log;
	int gone;		/* polls seen out of the queue without rc */
	char state[32];		/* the scheduler's last word */
	char node[64];		/* where it ran, once seen running */
	int gone_fresh;		/* state is the queue's, not scontrol's */
};

static int64_t now_real(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* Run argv, its standard output into out (stderr too with both); the
 * exit status, or -1 when it could not start. */
static int capture(char *const *argv, struct buf *out, int both)
{
	posix_spawn_file_actions_t fa;
	int fd[2], status = -1;
	pid_t pid;
	char chunk[4096];
	ssize_t n;

	if (pipe(fd) < 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
	if (both)
		posix_spawn_file_actions_adddup2(&fa, fd[1], 2);
	posix_spawn_file_actions_addclose(&fa, fd[0]);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ)) {
		posix_spawn_file_actions_destroy(&fa);
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(fd[1]);
	while ((n = read(fd[0], chunk, sizeof(chunk))) > 0 ||
	       (n < 0 && errno == EINTR))
		if (n > 0)
			buf_add(out, chunk, (size_t)n);
	close(fd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static char *tool(const char *name)
{
	const char *bin = getenv("CAIRN_SLURM_BIN");
	struct buf b = BUF_INIT;

	if (bin && *bin)
		buf_addf(&b, "%s/%s", bin, name);
	else
		buf_adds(&b, name);
	return buf_detach(&b, NULL);
}

/* A name for files: the instance with odd characters made '_'. */
static void file_name(struct buf *b, const char *inst)
{
	for (; *inst; inst++)
		buf_addc(b, (*inst >= 'a' && *inst <= 'z') ||
				    (*inst >= 'A' && *inst <= 'Z') ||
				    (*inst >= '0' && *inst <= '9') || *inst == '-' ||
				    *inst == '.'
			    ? *inst
			    : '_');
}

static int write_file(const char *path, const struct buf *b, int mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	int ok = fd >= 0 && write(fd, b->data, b->len) == (ssize_t)b->len;

	if (fd >= 0 && close(fd) < 0)
		ok = 0;
	return ok ? 0 : -1;
}

static int slurm_start(void *ctx, const struct exec_job *job, long *id,
		       struct err *err)
{
	struct exec_slurm *s = ctx;
	const struct graph_inst *in = job->inst;
	const struct graph_stage *st = in->stage;
	struct buf base = BUF_INIT, script = BUF_INIT, rc = BUF_INIT, out = BUF_INIT,
		   a = BUF_INIT;
	char *argv[64];
	char opt[12][160];
	int argc = 0, nopt = 0, r = -1;
	size_t i;
	char *extra = NULL, *save, *tok;
	struct slurm_job *j;

	buf_addf(&base, "%s/", s->dir);
	file_name(&base, in->name);
	buf_addf(&base, ".%llu", (unsigned long long)++s->seq);
	buf_addf(&rc, "%s.rc", base.data);
	unlink(rc.data);
	/* The wrapper: the command as the local executor runs it, then its
	 * exit status and the node it ran on, written whole (temporary
	 * file, rename): a short job may come and go between two polls. */
	buf_adds(&script, "#!/bin/sh\n");
	buf_adds(&script, "cd ");
	shell_quote(&script, job->wdir);
	buf_adds(&script, " || exit 127\n");
	for (i = 0; i < job->nenv; i++) {
		const char *eq = strchr(job->env[i], '=');
		if (!eq)
			continue;
		buf_addf(&script, "export %.*s=", (int)(eq - job->env[i]),
			 job->env[i]);
		shell_quote(&script, eq + 1);
		buf_addc(&script, '\n');
	}
	buf_adds(&script, "/bin/sh -c ");
	shell_quote(&script, job->cmd);
	buf_adds(&script, "\nrc=$?\n"
			  "echo \"$rc ${SLURMD_NODENAME:-$(hostname)}\" > ");
	shell_quote(&script, rc.data);
	buf_adds(&script, ".tmp && mv ");
	shell_quote(&script, rc.data);
	buf_adds(&script, ".tmp ");
	shell_quote(&script, rc.data);
	buf_adds(&script, "\nexit $rc\n");
	buf_addf(&a, "%s.sh", base.data);
	if (write_file(a.data, &script, 0755) < 0) {
		err_errno(err, "cannot write '%s'", a.data);
		goto out;
	}
	argv[argc++] = s->sbatch;
	argv[argc++] = (char *)"--parsable";
#define OPT(...) (snprintf(opt[nopt], sizeof(opt[0]), __VA_ARGS__), opt[nopt++])
	argv[argc++] = OPT("--job-name=%.60s:%.60s", s->g->name, in->name);
	argv[argc++] = (char *)"--kill-on-invalid-dep=yes";
	argv[argc++] = (char *)"-o";
	argv[argc++] = (char *)job->log;
	argv[argc++] = (char *)"-e";
	argv[argc++] = (char *)job->log;
	if (st->cpus)
		argv[argc++] = OPT("--cpus-per-task=%d", st->cpus);
	if (st->mem)
		argv[argc++] = OPT("--mem=%lluM", (unsigned long long)(
							  (st->mem + (1 << 20) - 1) >> 20));
	if (st->gpus)
		argv[argc++] = OPT("--gpus=%d", st->gpus);
	if (st->time_s)
		argv[argc++] = OPT("--time=%llu", (unsigned long long)(
							  (st->time_s + 59) / 60));
	if (s->g->slurm.partition)
		argv[argc++] = OPT("--partition=%.100s", s->g->slurm.partition);
	if (s->g->slurm.account)
		argv[argc++] = OPT("--account=%.100s", s->g->slurm.account);
	if (s->g->slurm.qos)
		argv[argc++] = OPT("--qos=%.100s", s->g->slurm.qos);
#undef OPT
	if (s->g->slurm.sbatch_args) {
		extra = xstrdup(s->g->slurm.sbatch_args);
		for (tok = strtok_r(extra, " \t", &save); tok && argc < 60;
		     tok = strtok_r(NULL, " \t", &save))
			argv[argc++] = tok;
	}
	argv[argc++] = a.data;
	argv[argc] = NULL;
	if (capture(argv, &out, 1) != 0 || !out.len) {
		while (out.len && (out.data[out.len - 1] == '\n'))
			buf_truncate(&out, out.len - 1);
		err_set(err, "%s", out.len ? out.data
					    : "sbatch failed with no output; is "
					      "Slurm running?");
		goto out;
	}
	*id = strtol(out.data, NULL, 10);
	if (*id <= 0) {
		err_set(err, "sbatch printed no job id: %s", out.data);
		goto out;
	}
	if (s->njobs == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->jobs = xrealloc(s->jobs, s->cap * sizeof(*s->jobs));
	}
	j = &s->jobs[s->njobs++];
	memset(j, 0, sizeof(*j));
	j->id = *id;
	j->rc = buf_detach(&rc, NULL);
	j->log = xstrdup(job->log);
	s->poll_ns = (int64_t)(s->g->slurm.poll_s * 1e9);
	s->next_poll_ns = 0;
	r = 0;
out:
	free(extra);
	buf_release(&base);
	buf_release(&script);
	buf_release(&rc);
	buf_release(&out);
	buf_release(&a);
	return r;
}

/* What scontrol says of a job that ended: its state, reason, exit code
 * and signal; into j and the wait status. */
static int explain(struct exec_slurm *s, struct slurm_job *j)
{
	char ids[32], *argv[6];
	struct buf out = BUF_INIT;
	const char *p;
	int code = 1, sig = 0, status;
	char reason[64] = "";

	snprintf(ids, sizeof(ids), "%ld", j->id);
	argv[0] = s->scontrol, argv[1] = (char *)"show", argv[2] = (char *)"job";
	argv[3] = (char *)"-o", argv[4] = ids, argv[5] = NULL;
	capture(argv, &out, 0);
	if ((p = strstr(out.data, "JobState=")))
		sscanf(p + 9, "%31[A-Z_]", j->state);
	j->gone_fresh = 0;
	if ((p = strstr(out.data, " NodeList=")) && p[10] != '(')
		sscanf(p + 10, "%63[^ \n]", j->node);
	if ((p = strstr(out.data, "Reason=")))
		sscanf(p + 7, "%63[^ \n]", reason);
	if ((p = strstr(out.data, " ExitCode=")))
		sscanf(p + 10, "%d:%d", &code, &sig);
	if (!j->state[0])
		snprintf(j->state, sizeof(j->state), "UNKNOWN");
	/* Say it in the log, which the run shows for a failure. */
	{
		FILE *f = fopen(j->log, "a");
		if (f) {
			fprintf(f, "cairn: slurm job %ld ended %s (reason %s, exit "
				   "code %d:%d) without its status file\n",
				j->id, j->state, reason[0] ? reason : "none", code,
				sig);
			fclose(f);
		}
	}
	buf_release(&out);
	if (sig)
		status = sig & 0x7f;	/* as killed by sig */
	else
		status = (code ? code : 1) << 8;
	return status;
}

/* The status file: the exit status, then the node; -1 while absent. */
static int rc_of(struct slurm_job *j, int *status)
{
	FILE *f = fopen(j->rc, "r");
	char node[64];
	int rc;

	if (!f)
		return -1;
	switch (fscanf(f, "%d %63s", &rc, node)) {
	case 2:
		snprintf(j->node, sizeof(j->node), "%s", node);
		break;
	case 1:
		break;
	default:
		rc = 1;
	}
	fclose(f);
	*status = (rc & 0xff) << 8;
	return 0;
}

static void drop(struct exec_slurm *s, size_t k, struct exec_end *end,
		 int status)
{
	struct slurm_job *j = &s->jobs[k];

	memset(end, 0, sizeof(*end));
	end->id = j->id;
	end->status = status;
	end->end_ns = now_real();
	snprintf(end->scheduler, sizeof(end->scheduler), "slurm");
	snprintf(end->job_id, sizeof(end->job_id), "%ld", j->id);
	snprintf(end->node, sizeof(end->node), "%s", j->node);
	/* With its status file, the job is over: COMPLETED or FAILED by it
	 * (the queue may not have caught up); else what scontrol said. */
	if (status == 0)
		snprintf(end->state, sizeof(end->state), "COMPLETED");
	else if (j->state[0] && !j->gone_fresh)
		snprintf(end->state, sizeof(end->state), "%s", j->state);
	else
		snprintf(end->state, sizeof(end->state), "FAILED");
	unlink(j->rc);
	free(j->rc);
	free(j->log);
	s->jobs[k] = s->jobs[--s->njobs];
}

static const char *const terminal[] = {
	"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL",
	"OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE", "PREEMPTED", NULL,
};

/* One squeue call for every job in flight: mark those that left. */
static void poll_queue(struct exec_slurm *s)
{
	struct buf ids = BUF_INIT, out = BUF_INIT;
	char *argv[8];
	size_t k;

	for (k = 0; k < s->njobs; k++)
		buf_addf(&ids, "%s%ld", k ? "," : "", s->jobs[k].id);
	argv[0] = s->squeue, argv[1] = (char *)"-h", argv[2] = (char *)"-t";
	argv[3] = (char *)"all", argv[4] = (char *)"-o";
	argv[5] = (char *)"%i %T %N", argv[6] = (char *)"-j";
	argv[7] = NULL;
	{
		char *full[10];
		memcpy(full, argv, 7 * sizeof(char *));
		full[7] = ids.data;
		full[8] = NULL;
		capture(full, &out, 0);
	}
	for (k = 0; k < s->njobs; k++) {
		struct slurm_job *j = &s->jobs[k];
		char want[32];
		const char *p;
		int done = 1, t;
		snprintf(want, sizeof(want), "%ld ", j->id);
		for (p = out.data; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
			if (!strncmp(p, want, strlen(want))) {
				char node[64] = "", line[160];
				/* This line only: a pending job has no node. */
				snprintf(line, sizeof(line), "%.*s",
					 (int)strcspn(p, "\n"), p);
				sscanf(line + strlen(want), "%31s %63s", j->state,
				       node);
				if (node[0] && strcmp(node, "(null)"))
					snprintf(j->node, sizeof(j->node), "%s", node);
				j->gone_fresh = 1;
				for (t = 0, done = 0; terminal[t]; t++)
					done |= !strcmp(j->state, terminal[t]);
				break;
			}
		/* Gone from the queue or ended: a poll's grace for the status
		 * file (a shared filesystem may show it late). */
		j->gone = done ? j->gone + 1 : 0;
	}
	buf_release(&ids);
	buf_release(&out);
}

static int slurm_wait(void *ctx, int64_t timeout_ns, struct exec_end *end)
{
	struct exec_slurm *s = ctx;
	int64_t until = timeout_ns < 0 ? -1 : now_real() + timeout_ns;

	for (;;) {
		int64_t now = now_real(), nap;
		size_t k;
		int status;
		struct timespec ts;

		for (k = 0; k < s->njobs; k++)
			if (rc_of(&s->jobs[k], &status) == 0) {
				drop(s, k, end, status);
				s->poll_ns = (int64_t)(s->g->slurm.poll_s * 1e9);
				return 1;
			}
		for (k = 0; k < s->njobs; k++)
			if (s->jobs[k].gone >= 2) {
				/* Left the queue with no status file: ask why. */
				if (rc_of(&s->jobs[k], &status) < 0)
					status = explain(s, &s->jobs[k]);
				drop(s, k, end, status);
				return 1;
			}
		if (s->njobs && now >= s->next_poll_ns) {
			poll_queue(s);
			/* Back off while nothing changes, up to 2 s. */
			s->poll_ns = s->poll_ns * 3 / 2 < 2000000000LL
					     ? s->poll_ns * 3 / 2
					     : 2000000000LL;
			s->next_poll_ns = now + s->poll_ns;
			continue;
		}
		if ((until >= 0 && now >= until) || interrupt_pending())
			return 0;	/* time up, or a signal: the run looks */
		nap = 20000000;	/* the status files: checked every 20 ms */
		if (until >= 0 && until - now < nap)
			nap = until - now;
		ts.tv_sec = nap / 1000000000LL;
		ts.tv_nsec = nap % 1000000000LL;
		if (nanosleep(&ts, NULL) < 0 && errno == EINTR)
			return 0;	/* a signal: the run looks */
	}
}

static void slurm_kill(void *ctx, long id, int sig)
{
	struct exec_slurm *s = ctx;
	char ids[32], sigarg[32], *argv[5];
	struct buf out = BUF_INIT;

	snprintf(ids, sizeof(ids), "%ld", id);
	argv[0] = s->scancel;
	if (sig == SIGTERM || sig == SIGKILL) {
		argv[1] = ids;
		argv[2] = NULL;
	} else {
		snprintf(sigarg, sizeof(sigarg), "--signal=%d", sig);
		argv[1] = sigarg;
		argv[2] = ids;
		argv[3] = NULL;
	}
	capture(argv, &out, 1);
	buf_release(&out);
}

static int64_t slurm_now(void *ctx)
{
	(void)ctx;
	return now_real();
}

int exec_slurm_open(struct exec_slurm *s, const struct graph *g,
		    struct executor *e, struct err *err)
{
	struct buf b = BUF_INIT;
	char *argv[3];
	int rc;

	memset(s, 0, sizeof(*s));
	s->g = g;
	s->sbatch = tool("sbatch");
	s->squeue = tool("squeue");
	s->scancel = tool("scancel");
	s->scontrol = tool("scontrol");
	argv[0] = s->sbatch;
	argv[1] = (char *)"--version";
	argv[2] = NULL;
	rc = capture(argv, &b, 1);
	buf_release(&b);
	if (rc != 0) {
		exec_slurm_close(s);
		return err_set(err, "the slurm executor needs sbatch, squeue, "
				    "scancel and scontrol on PATH (or in "
				    "$CAIRN_SLURM_BIN)");
	}
	buf_addf(&b, "%s/.cairn/slurm", g->workspace);
	s->dir = buf_detach(&b, NULL);
	mkdir_p(s->dir, 0);
	s->poll_ns = (int64_t)(g->slurm.poll_s * 1e9);
	e->ctx = s;
	e->start = slurm_start;
	e->wait = slurm_wait;
	e->kill = slurm_kill;
	e->now = slurm_now;
	return 0;
}

void exec_slurm_close(struct exec_slurm *s)
{
	size_t k;

	for (k = 0; k < s->njobs; k++) {
		free(s->jobs[k].rc);
		free(s->jobs[k].log);
	}
	free(s->jobs);
	free(s->dir);
	free(s->sbatch);
	free(s->squeue);
	free(s->scancel);
	free(s->scontrol);
	memset(s, 0, sizeof(*s));
}
