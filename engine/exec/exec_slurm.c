/*
 * The Slurm executor (exec_slurm.h, docs/slurm.md): wrappers and status
 * files, held jobs submitted at the wait (a stage's together as one array
 * job), one squeue per poll, scontrol for the jobs that vanish, and the
 * adoption of a dead coordinator's jobs.
 */
#define _GNU_SOURCE	/* pipe2 */
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
#include "json.h"
#include "util.h"

extern char **environ;

struct slurm_job {
	long id;		/* cairn's: the order of start */
	char sid[48];		/* Slurm's: "42", "42_3" in an array; "" until
				   submitted */
	const struct graph_stage *stage;	/* jobs of one stage ready
						   together form an array */
	char *base;		/* BASE.sh the wrapper, BASE.rc its status */
	char *out;		/* what Slurm itself says (-o) */
	char *log;
	char *key;		/* the instance's key, hex */
	char *inst;
	int cancelled;		/* killed before it was submitted */
	int fresh;		/* submitted, not yet told to the watcher */
	char *refused;		/* sbatch's complaint, when it refused */
	int gone;		/* polls seen out of the queue without rc */
	char state[32];		/* the scheduler's last word */
	char node[64];		/* where it ran */
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

	if (pipe2(fd, O_CLOEXEC) < 0)
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
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		      mode);
	int ok = fd >= 0 && write(fd, b->data, b->len) == (ssize_t)b->len;

	if (fd >= 0 && close(fd) < 0)
		ok = 0;
	return ok ? 0 : -1;
}

static void path_of(struct buf *b, const char *base, const char *ext)
{
	buf_truncate(b, 0);
	buf_addf(b, "%s%s", base, ext);
}

/* A job's files gone: its wrapper, status file and Slurm's output. */
static void remove_files(const char *base, const char *out)
{
	struct buf p = BUF_INIT;

	path_of(&p, base, ".sh");
	unlink(p.data);
	path_of(&p, base, ".rc");
	unlink(p.data);
	if (out)
		unlink(out);
	buf_release(&p);
}

static struct slurm_job *new_job(struct exec_slurm *s)
{
	struct slurm_job *j;

	if (s->njobs == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->jobs = xrealloc(s->jobs, s->cap * sizeof(*s->jobs));
	}
	j = &s->jobs[s->njobs++];
	memset(j, 0, sizeof(*j));
	j->id = (long)++s->seq;
	return j;
}

static void free_job(struct slurm_job *j)
{
	free(j->base);
	free(j->out);
	free(j->log);
	free(j->key);
	free(j->inst);
	free(j->refused);
}

/*
 * Start: write the job's wrapper and hold it.  The wait submits what was
 * started since it last looked, the jobs of one stage together as one
 * array job, so a matrix's ready instances cost one sbatch.
 */
static int slurm_start(void *ctx, const struct exec_job *job, long *id,
		       struct err *err)
{
	struct exec_slurm *s = ctx;
	const struct graph_inst *in = job->inst;
	struct buf base = BUF_INIT, script = BUF_INIT, p = BUF_INIT;
	struct slurm_job *j;
	size_t i;

	buf_addf(&base, "%s/", s->dir);
	file_name(&base, in->name);
	buf_addf(&base, ".%ld.%llu", (long)getpid(),
		 (unsigned long long)s->seq + 1);
	/* The wrapper: its output into the stage's log, the command as the
	 * local executor runs it, then its exit status and the node it ran
	 * on, written whole (temporary file, rename): a short job may come
	 * and go between two polls. */
	buf_adds(&script, "#!/bin/sh\nexec >");
	shell_quote(&script, job->log);
	buf_adds(&script, " 2>&1\ncd ");
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
	path_of(&p, base.data, ".rc");
	buf_adds(&script, "\nrc=$?\n"
			  "echo \"$rc ${SLURMD_NODENAME:-$(hostname)}\" > ");
	shell_quote(&script, p.data);
	buf_adds(&script, ".tmp && mv ");
	shell_quote(&script, p.data);
	buf_adds(&script, ".tmp ");
	shell_quote(&script, p.data);
	buf_adds(&script, "\nexit $rc\n");
	unlink(p.data);
	path_of(&p, base.data, ".sh");
	if (write_file(p.data, &script, 0755) < 0) {
		err_errno(err, "cannot write '%s'", p.data);
		buf_release(&base);
		buf_release(&script);
		buf_release(&p);
		return -1;
	}
	j = new_job(s);
	j->stage = in->stage;
	j->base = buf_detach(&base, NULL);
	j->log = xstrdup(job->log);
	j->key = xstrdup(job->key ? job->key : "");
	j->inst = xstrdup(in->name);
	*id = j->id;
	buf_release(&script);
	buf_release(&p);
	return 0;
}

/* sbatch's arguments for jobs of stage st, up to the script. */
static int common_args(struct exec_slurm *s, const struct graph_stage *st,
		       const char *name, char **argv, char opt[][160],
		       char **extra)
{
	int argc = 0, nopt = 0;
	char *save, *tok;

	argv[argc++] = s->sbatch;
	argv[argc++] = (char *)"--parsable";
#define OPT(...) (snprintf(opt[nopt], 160, __VA_ARGS__), opt[nopt++])
	argv[argc++] = OPT("--job-name=%.60s:%.60s", s->g->name, name);
	argv[argc++] = OPT("--chdir=%.150s", s->g->workspace);
	argv[argc++] = (char *)"--kill-on-invalid-dep=yes";
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
	*extra = NULL;
	if (s->g->slurm.sbatch_args) {
		*extra = xstrdup(s->g->slurm.sbatch_args);
		for (tok = strtok_r(*extra, " \t", &save); tok && argc < 50;
		     tok = strtok_r(NULL, " \t", &save))
			argv[argc++] = tok;
	}
	return argc;
}

/* What the store keeps of job j to find it again (docs/slurm.md). */
static void job_record(const struct slurm_job *j, struct buf *b)
{
	buf_truncate(b, 0);
	buf_adds(b, "{\"scheduler\": \"slurm\", \"job\": ");
	json_string(b, j->sid, strlen(j->sid));
	buf_adds(b, ", \"instance\": ");
	json_string(b, j->inst, strlen(j->inst));
	buf_adds(b, ", \"key\": ");
	json_string(b, j->key, strlen(j->key));
	buf_adds(b, ", \"base\": ");
	json_string(b, j->base, strlen(j->base));
	buf_adds(b, ", \"out\": ");
	json_string(b, j->out, strlen(j->out));
	buf_addc(b, '}');
}

/*
 * Submit the n held jobs at js (one stage's): one job, or an array whose
 * task k runs js[k]'s wrapper.  A refusal goes to each one's log, and
 * each then ends failed.
 */
static void submit(struct exec_slurm *s, struct slurm_job **js, size_t n)
{
	struct buf out = BUF_INIT, driver = BUF_INIT, b = BUF_INIT;
	char *argv[64], opt[16][160], *extra;
	int argc;
	long sid;
	size_t k;

	if (n == 1) {
		path_of(&b, js[0]->base, ".out");
		js[0]->out = buf_detach(&b, NULL);
		argc = common_args(s, js[0]->stage, js[0]->inst, argv, opt,
				   &extra);
		argv[argc++] = (char *)"-o";
		argv[argc++] = js[0]->out;
		path_of(&b, js[0]->base, ".sh");
		argv[argc++] = b.data;
	} else {
		/* The array's driver: task k runs instance k's wrapper.
		 * sbatch keeps a copy of it, so it goes once submitted. */
		buf_addf(&driver, "%s/", s->dir);
		file_name(&driver, js[0]->stage->name);
		buf_addf(&driver, ".%ld.%llu.array", (long)getpid(),
			 (unsigned long long)js[0]->id);
		for (k = 0; k < n; k++) {
			buf_truncate(&b, 0);
			buf_addf(&b, "%s.%zu.out", driver.data, k);
			js[k]->out = buf_detach(&b, NULL);
		}
		buf_adds(&b, "#!/bin/sh\ncase \"$SLURM_ARRAY_TASK_ID\" in\n");
		for (k = 0; k < n; k++) {
			buf_addf(&b, "%zu) exec /bin/sh ", k);
			shell_quote(&b, js[k]->base);
			buf_adds(&b, ".sh ;;\n");
		}
		buf_adds(&b, "esac\necho \"cairn: no task $SLURM_ARRAY_TASK_ID"
			     "\" >&2\nexit 127\n");
		buf_adds(&driver, ".sh");
		if (write_file(driver.data, &b, 0755) < 0) {
			buf_truncate(&out, 0);
			buf_addf(&out, "cannot write '%s'", driver.data);
			goto refused;
		}
		argc = common_args(s, js[0]->stage, js[0]->stage->name, argv,
				   opt, &extra);
		snprintf(opt[14], sizeof(opt[14]), "--array=0-%zu", n - 1);
		argv[argc++] = opt[14];
		/* Slurm's own words for task k: DRIVER.k.out (%a). */
		buf_truncate(&b, 0);
		buf_addf(&b, "%.*s.%%a.out", (int)(driver.len - 3),
			 driver.data);
		argv[argc++] = (char *)"-o";
		argv[argc++] = b.data;
		argv[argc++] = driver.data;
	}
	argv[argc] = NULL;
	if (capture(argv, &out, 1) != 0 || !out.len ||
	    (sid = strtol(out.data, NULL, 10)) <= 0) {
		if (!out.len)
			buf_adds(&out, "sbatch failed with no output; is Slurm "
				       "running?");
		free(extra);
		goto refused;
	}
	free(extra);
	if (n > 1)
		unlink(driver.data);
	for (k = 0; k < n; k++) {
		if (n == 1)
			snprintf(js[k]->sid, sizeof(js[k]->sid), "%ld", sid);
		else
			snprintf(js[k]->sid, sizeof(js[k]->sid), "%ld_%zu", sid,
				 k);
	}
	goto done;
refused:
	while (out.len && out.data[out.len - 1] == '\n')
		buf_truncate(&out, out.len - 1);
	if (n > 1)
		unlink(driver.data);
	for (k = 0; k < n; k++)
		js[k]->refused = xstrdup(out.data);
done:
	buf_release(&out);
	buf_release(&driver);
	buf_release(&b);
}

static int held(const struct slurm_job *j)
{
	return !j->sid[0] && !j->cancelled && !j->refused;
}

/* Submit every held job, stage by stage, and tell the watcher. */
static void flush(struct exec_slurm *s)
{
	struct slurm_job **js;
	struct exec_sub *subs;
	struct buf *recs;
	size_t k, g, m, n = 0, nsub = 0;

	for (k = 0; k < s->njobs; k++)
		n += held(&s->jobs[k]);
	if (!n)
		return;
	js = xcalloc(n, sizeof(*js));
	for (k = 0; k < s->njobs; k++) {
		if (!held(&s->jobs[k]))
			continue;
		/* It and the held jobs of its stage after it, in order. */
		for (m = 0, g = k; g < s->njobs; g++)
			if (held(&s->jobs[g]) &&
			    s->jobs[g].stage == s->jobs[k].stage)
				js[m++] = &s->jobs[g];
		submit(s, js, m);
		for (g = 0; g < m; g++)
			js[g]->fresh = !js[g]->refused;
	}
	free(js);
	/* The watcher keeps them before anything waits on them. */
	subs = xcalloc(n, sizeof(*subs));
	recs = xcalloc(n, sizeof(*recs));
	for (k = 0; k < s->njobs; k++) {
		struct slurm_job *j = &s->jobs[k];
		if (!j->fresh)
			continue;
		j->fresh = 0;
		buf_init(&recs[nsub]);
		job_record(j, &recs[nsub]);
		subs[nsub].id = j->id;
		subs[nsub].rec = recs[nsub].data;
		subs[nsub].n = recs[nsub].len;
		nsub++;
	}
	if (s->watch && nsub)
		s->watch(s->watch_arg, subs, nsub);
	for (k = 0; k < nsub; k++)
		buf_release(&recs[k]);
	free(subs);
	free(recs);
	s->poll_ns = (int64_t)(s->g->slurm.poll_s * 1e9);
	s->next_poll_ns = 0;
}

/* The status file: the exit status, then the node; -1 while absent. */
static int rc_of(struct slurm_job *j, int *status)
{
	struct buf p = BUF_INIT;
	FILE *f;
	char node[64];
	int rc;

	path_of(&p, j->base, ".rc");
	f = fopen(p.data, "re");
	buf_release(&p);
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

/* Append what Slurm itself said of the job (its -o file) to the log. */
static void append_out(const struct slurm_job *j)
{
	char chunk[4096];
	size_t n;
	FILE *in, *out;

	if (!j->out || !(in = fopen(j->out, "re")))
		return;
	if ((out = fopen(j->log, "ae"))) {
		while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0)
			fwrite(chunk, 1, n, out);
		fclose(out);
	}
	fclose(in);
}

/* Say line in job j's log, which the run shows for a failure. */
static void log_line(const struct slurm_job *j, const char *line)
{
	FILE *f = fopen(j->log, "ae");

	if (f) {
		fprintf(f, "cairn: %s\n", line);
		fclose(f);
	}
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
	snprintf(end->job_id, sizeof(end->job_id), "%s", j->sid);
	snprintf(end->node, sizeof(end->node), "%s", j->node);
	/* With its status file, the job is over: COMPLETED or FAILED by it
	 * (the queue may not have caught up); else what scontrol said. */
	if (j->cancelled)
		snprintf(end->state, sizeof(end->state), "NOT_SUBMITTED");
	else if (j->refused)
		snprintf(end->state, sizeof(end->state), "REFUSED");
	else if (status == 0)
		snprintf(end->state, sizeof(end->state), "COMPLETED");
	else if (j->state[0] && !j->gone_fresh)
		snprintf(end->state, sizeof(end->state), "%s", j->state);
	else
		snprintf(end->state, sizeof(end->state), "FAILED");
	append_out(j);
	remove_files(j->base, j->out);
	free_job(j);
	s->jobs[k] = s->jobs[--s->njobs];
}

static const char *const terminal[] = {
	"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL",
	"OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE", "PREEMPTED", NULL,
};

static int is_terminal(const char *state)
{
	int t;

	for (t = 0; terminal[t]; t++)
		if (!strcmp(state, terminal[t]))
			return 1;
	return 0;
}

/* squeue's line for Slurm job sid in out ("SID STATE NODE"): its state
 * and node, or 0 when it has none. */
static int queue_line(const char *out, const char *sid, char *state,
		      size_t nstate, char *node, size_t nnode)
{
	size_t len = strlen(sid);
	const char *p;

	for (p = out; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		char line[200], st[32] = "", nd[64] = "";
		if (strncmp(p, sid, len) || p[len] != ' ')
			continue;
		/* This line only: a pending job has no node. */
		snprintf(line, sizeof(line), "%.*s", (int)strcspn(p, "\n"), p);
		sscanf(line + len + 1, "%31s %63s", st, nd);
		snprintf(state, nstate, "%s", st);
		if (nd[0] && strcmp(nd, "(null)"))
			snprintf(node, nnode, "%s", nd);
		return 1;
	}
	return 0;
}

/* One squeue call (array tasks one per line) for the jobs ids names, or
 * with ids NULL for every job of this user. */
static void squeue(struct exec_slurm *s, const char *ids, struct buf *out)
{
	char *argv[10], uid[32];

	argv[0] = s->squeue, argv[1] = (char *)"-h", argv[2] = (char *)"-r";
	argv[3] = (char *)"-t", argv[4] = (char *)"all";
	argv[5] = (char *)"-o", argv[6] = (char *)"%i %T %N";
	if (ids) {
		argv[7] = (char *)"-j", argv[8] = (char *)ids;
	} else {
		snprintf(uid, sizeof(uid), "%ld", (long)getuid());
		argv[7] = (char *)"-u", argv[8] = uid;
	}
	argv[9] = NULL;
	buf_truncate(out, 0);
	capture(argv, out, 0);
}

/* One squeue call for every job in flight: mark those that left. */
static void poll_queue(struct exec_slurm *s)
{
	struct buf ids = BUF_INIT, out = BUF_INIT;
	size_t k, g;

	/* An array's tasks share its id: name it once. */
	for (k = 0; k < s->njobs; k++) {
		size_t len = strcspn(s->jobs[k].sid, "_");
		if (!s->jobs[k].sid[0])
			continue;
		for (g = 0; g < k; g++)
			if (strcspn(s->jobs[g].sid, "_") == len &&
			    !strncmp(s->jobs[g].sid, s->jobs[k].sid, len))
				break;
		if (g == k)
			buf_addf(&ids, "%s%.*s", ids.len ? "," : "", (int)len,
				 s->jobs[k].sid);
	}
	if (!ids.len)
		goto out;
	squeue(s, ids.data, &out);
	for (k = 0; k < s->njobs; k++) {
		struct slurm_job *j = &s->jobs[k];
		int done = 1;
		if (!j->sid[0])
			continue;
		if (queue_line(out.data, j->sid, j->state, sizeof(j->state),
			       j->node, sizeof(j->node))) {
			j->gone_fresh = 1;
			done = is_terminal(j->state);
		}
		/* Gone from the queue or ended: a poll's grace for the status
		 * file (a shared filesystem may show it late). */
		j->gone = done ? j->gone + 1 : 0;
	}
out:
	buf_release(&ids);
	buf_release(&out);
}

/* What scontrol says of a job that ended: its state, reason, exit code
 * and signal; into j, its log and the wait status. */
static int explain(struct exec_slurm *s, struct slurm_job *j)
{
	char *argv[6], reason[64] = "";
	struct buf out = BUF_INIT, line = BUF_INIT;
	const char *p;
	int code = 1, sig = 0;

	argv[0] = s->scontrol, argv[1] = (char *)"show", argv[2] = (char *)"job";
	argv[3] = (char *)"-o", argv[4] = j->sid, argv[5] = NULL;
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
	buf_addf(&line, "slurm job %s ended %s (reason %s, exit code %d:%d) "
			"without its status file",
		 j->sid, j->state, reason[0] ? reason : "none", code, sig);
	log_line(j, line.data);
	buf_release(&line);
	buf_release(&out);
	if (sig)
		return sig & 0x7f;	/* as killed by sig */
	return (code ? code : 1) << 8;
}

static int slurm_wait(void *ctx, int64_t timeout_ns, struct exec_end *end)
{
	struct exec_slurm *s = ctx;
	int64_t until = timeout_ns < 0 ? -1 : now_real() + timeout_ns;

	flush(s);
	for (;;) {
		int64_t now = now_real(), nap;
		size_t k;
		int status;
		struct timespec ts;

		for (k = 0; k < s->njobs; k++) {
			struct slurm_job *j = &s->jobs[k];
			if (j->cancelled) {
				drop(s, k, end, SIGTERM);	/* as killed */
				return 1;
			}
			if (j->refused) {
				struct buf line = BUF_INIT;
				buf_addf(&line, "sbatch refused the job: %s",
					 j->refused);
				log_line(j, line.data);
				buf_release(&line);
				drop(s, k, end, 1 << 8);
				return 1;
			}
			if (rc_of(j, &status) == 0) {
				drop(s, k, end, status);
				s->poll_ns = (int64_t)(s->g->slurm.poll_s * 1e9);
				return 1;
			}
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

static void scancel(struct exec_slurm *s, const char *sid, int sig)
{
	char sigarg[32], *argv[4];
	struct buf out = BUF_INIT;

	argv[0] = s->scancel;
	if (sig == SIGTERM || sig == SIGKILL) {
		argv[1] = (char *)sid;
		argv[2] = NULL;
	} else {
		snprintf(sigarg, sizeof(sigarg), "--signal=%d", sig);
		argv[1] = sigarg;
		argv[2] = (char *)sid;
		argv[3] = NULL;
	}
	capture(argv, &out, 1);
	buf_release(&out);
}

static void slurm_kill(void *ctx, long id, int sig)
{
	struct exec_slurm *s = ctx;
	size_t k;

	for (k = 0; k < s->njobs; k++) {
		struct slurm_job *j = &s->jobs[k];
		if (j->id != id)
			continue;
		if (j->sid[0])
			scancel(s, j->sid, sig);
		else if (sig == SIGTERM || sig == SIGKILL)
			j->cancelled = 1;	/* never submitted */
		return;
	}
}

static int64_t slurm_now(void *ctx)
{
	(void)ctx;
	return now_real();
}

static void slurm_watch(void *ctx,
			void (*fn)(void *arg, const struct exec_sub *subs,
				   size_t n),
			void *arg)
{
	struct exec_slurm *s = ctx;

	s->watch = fn;
	s->watch_arg = arg;
}

/* Slurm's state of job sid, "" when the queue has forgotten it. */
static void state_of(struct exec_slurm *s, const char *sid, char *state,
		     size_t n)
{
	struct buf out = BUF_INIT;
	char node[64];

	squeue(s, sid, &out);
	state[0] = '\0';
	queue_line(out.data, sid, state, n, node, sizeof(node));
	buf_release(&out);
}

/* Like state_of, from one look at all this user's jobs, taken again when
 * older than a second: a restart with many jobs to adopt asks once. */
static void adopt_state(struct exec_slurm *s, const char *sid, char *state,
			size_t n)
{
	char node[64];

	if (!s->seen_ns || now_real() - s->seen_ns > 1000000000LL) {
		squeue(s, NULL, &s->seen);
		s->seen_ns = now_real();
	}
	state[0] = '\0';
	queue_line(s->seen.data, sid, state, n, node, sizeof(node));
}

/* Cancel job sid and wait (up to 30 s) until it runs no more, so that it
 * cannot write over the outputs of the job that replaces it. */
static void cancel_and_wait(struct exec_slurm *s, const char *sid)
{
	char state[32];
	int k;

	scancel(s, sid, SIGTERM);
	for (k = 0; k < 150; k++) {
		struct timespec ts = { 0, 200000000 };
		state_of(s, sid, state, sizeof(state));
		if (!state[0] || is_terminal(state))
			return;
		nanosleep(&ts, NULL);
	}
}

/*
 * A job an earlier coordinator submitted for this instance (rec, as
 * job_record wrote it).  Finished well with the instance's key as it is
 * now: taken (its status file ends it at once).  Still in the queue: waited
 * for, or cancelled.  Anything else (another key, failed, lost) is void.
 */
static int slurm_adopt(void *ctx, const struct exec_job *job,
		       const char *rec, size_t n, enum exec_adopt how,
		       long *id)
{
	struct exec_slurm *s = ctx;
	struct json *r = NULL;
	const char *sid, *key, *base, *out;
	struct slurm_job probe, *j;
	char state[32] = "";
	int status, taken = 0, finished;
	struct err ignore;

	if (json_parse(rec, n, "job record", &r, &ignore) < 0)
		return 0;
	sid = json_str(r, "job");
	key = json_str(r, "key");
	base = json_str(r, "base");
	out = json_str(r, "out");
	if (!sid || !key || !base || !out || !*sid) {
		json_free(r);
		return 0;
	}
	memset(&probe, 0, sizeof(probe));
	probe.base = (char *)base;
	finished = rc_of(&probe, &status) == 0;
	if (!finished) {
		adopt_state(s, sid, state, sizeof(state));
		/* It may have ended between the two looks. */
		finished = rc_of(&probe, &status) == 0;
	}
	if (finished && how != ADOPT_DROP && status == 0 && job->key &&
	    !strcmp(key, job->key))
		taken = 1;
	else if (!finished && state[0] && !is_terminal(state)) {
		if (how == ADOPT_WAIT && job->key && !strcmp(key, job->key))
			taken = 1;
		else
			cancel_and_wait(s, sid);
	}
	if (taken) {
		j = new_job(s);
		snprintf(j->sid, sizeof(j->sid), "%s", sid);
		j->stage = job->inst->stage;
		j->base = xstrdup(base);
		j->out = xstrdup(out);
		j->log = xstrdup(job->log);
		j->key = xstrdup(key);
		j->inst = xstrdup(job->inst->name);
		if (!finished)
			snprintf(j->state, sizeof(j->state), "%s", state);
		*id = j->id;
		s->next_poll_ns = 0;
	} else {
		remove_files(base, out);
	}
	json_free(r);
	return taken;
}

int exec_slurm_open(struct exec_slurm *s, const struct graph *g,
		    struct executor *e, struct err *err)
{
	struct buf b = BUF_INIT;
	char *argv[3];
	int rc;

	memset(s, 0, sizeof(*s));
	buf_init(&s->seen);
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
	e->watch = slurm_watch;
	e->adopt = slurm_adopt;
	return 0;
}

void exec_slurm_close(struct exec_slurm *s)
{
	size_t k;

	for (k = 0; k < s->njobs; k++)
		free_job(&s->jobs[k]);
	free(s->jobs);
	buf_release(&s->seen);
	free(s->dir);
	free(s->sbatch);
	free(s->squeue);
	free(s->scancel);
	free(s->scontrol);
	memset(s, 0, sizeof(*s));
}
