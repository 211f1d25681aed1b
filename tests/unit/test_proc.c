/*
 * What a process cairn starts can reach, and what a killed cairn leaves:
 * every descriptor the store opens is close-on-exec (LMDB leaves its data
 * file's open across exec), a job of the local executor has only 0, 1
 * and 2, and orphans_stop kills a recorded group that still runs, leaves
 * alone a process that only has its number, refuses a line that is not
 * a record and passes over a torn last one.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "err.h"
#include "exec_local.h"
#include "executor.h"
#include "orphans.h"
#include "store.h"

static char dir[] = "/tmp/cairn-test-proc-XXXXXX";

/* The open descriptors, as a bit set of the first 1024. */
static void open_fds(unsigned char *set)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	memset(set, 0, 1024 / 8);
	if (!d)
		return;
	while ((de = readdir(d))) {
		long fd = strtol(de->d_name, NULL, 10);
		if (de->d_name[0] != '.' && fd >= 0 && fd < 1024 &&
		    fd != dirfd(d))
			set[fd / 8] |= (unsigned char)(1u << (fd % 8));
	}
	closedir(d);
}

static void test_store_cloexec(void)
{
	unsigned char before[128], after[128];
	struct buf path = BUF_INIT;
	struct store *s = NULL;
	struct store_writer *w = NULL;
	struct digest id;
	struct err err;
	int fd, opened = 0;

	open_fds(before);
	buf_addf(&path, "%s/store", dir);
	CHECK_INT(store_open(path.data, STORE_CREATE, &s, &err), 0);
	if (!s) {
		fprintf(stderr, "store_open: %s\n", err.msg);
		buf_release(&path);
		return;
	}
	CHECK_INT(store_writer_new(s, &w, &err), 0);
	CHECK_INT(store_put_bytes(w, "hello", 5, &id, &err), 0);
	CHECK_INT(store_writer_commit(w, &err), 0);
	open_fds(after);
	for (fd = 3; fd < 1024; fd++) {
		if (!(after[fd / 8] & (1u << (fd % 8))) ||
		    (before[fd / 8] & (1u << (fd % 8))))
			continue;
		opened++;
		if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC)) {
			char link[64], target[512] = "";
			snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
			if (readlink(link, target, sizeof(target) - 1) < 0)
				target[0] = '\0';
			fprintf(stderr, "fd %d ('%s') is not close-on-exec\n",
				fd, target);
			CHECK(0);
		}
	}
	CHECK(opened >= 2);	/* LMDB's data and lock files at least */
	store_close(s);
	buf_release(&path);
}

/* A job that lists its open descriptors (by lstat: a glob would open its
 * own) into its log, with descriptors this process left open. */
static void test_job_fds(void)
{
	struct exec_local l;
	struct executor e;
	struct exec_job job;
	struct exec_end end;
	struct buf log = BUF_INIT, text = BUF_INIT;
	struct err err;
	long id;
	int leak = open("/dev/null", O_RDONLY);	/* no O_CLOEXEC */
	int pipefd[2];

	CHECK(pipe(pipefd) == 0);
	buf_addf(&log, "%s/job.log", dir);
	memset(&job, 0, sizeof(job));
	job.cmd = "n=0; while [ $n -lt 1024 ]; do [ -L /proc/self/fd/$n ] "
		  "&& printf '%s ' $n; n=$((n + 1)); done";
	job.wdir = dir;
	job.log = log.data;
	exec_local_open(&l, &e);
	CHECK_INT(e.start(e.ctx, &job, &id, &err), 0);
	CHECK_INT(e.wait(e.ctx, -1, &end), 1);
	CHECK_INT(end.id, id);
	CHECK(WIFEXITED(end.status) && WEXITSTATUS(end.status) == 0);
	exec_local_close(&l);
	CHECK(buf_read_file(&text, log.data) == 0);
	CHECK_STR(text.data, "0 1 2 ");
	close(leak);
	close(pipefd[0]);
	close(pipefd[1]);
	buf_release(&log);
	buf_release(&text);
}

/* A log that cannot be opened fails the start with the log's name, and
 * no process is left. */
static void test_job_bad_log(void)
{
	struct exec_local l;
	struct executor e;
	struct exec_job job;
	struct buf log = BUF_INIT, want = BUF_INIT;
	struct err err;
	long id;

	buf_addf(&log, "%s/no/such/folder/job.log", dir);
	memset(&job, 0, sizeof(job));
	job.cmd = "true";
	job.wdir = dir;
	job.log = log.data;
	exec_local_open(&l, &e);
	CHECK_INT(e.start(e.ctx, &job, &id, &err), -1);
	buf_addf(&want, "cannot open log '%s': No such file or directory",
		 log.data);
	CHECK_STR(err.msg, want.data);
	CHECK(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);
	exec_local_close(&l);
	buf_release(&log);
	buf_release(&want);
}

static int alive(pid_t pid)
{
	char path[64], b[512];
	FILE *f;
	char *c;
	int ok = 0;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (!(f = fopen(path, "re")))
		return 0;
	if (fgets(b, sizeof(b), f) && (c = strrchr(b, ')')))
		ok = c[1] == ' ' && c[2] != 'Z';
	fclose(f);
	return ok;
}

/* A process group of its own that sleeps: its leader's pid. */
static pid_t sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		setpgid(0, 0);
		execl("/bin/sleep", "sleep", "30", (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	return pid;
}

/* Append text to the record file at path. */
static void append(const char *path, const char *text)
{
	FILE *f = fopen(path, "ae");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static void test_orphans(void)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	struct orphans o;
	struct err err;
	size_t n = 9;
	pid_t a = sleeper(), b = sleeper();
	char boot[64] = "";
	FILE *f;

	orphans_path(dir, &path);
	CHECK_STR(path.data + strlen(dir), "/.cairn/running");
	buf_truncate(&path, 0);
	buf_addf(&path, "%s/running", dir);
	if ((f = fopen("/proc/sys/kernel/random/boot_id", "re"))) {
		if (fgets(boot, sizeof(boot), f))
			boot[strcspn(boot, "\n")] = '\0';
		fclose(f);
	}
	/* Nothing recorded yet: nothing to do. */
	CHECK_INT(orphans_stop(path.data, &n, &err), 0);
	CHECK_INT(n, 0);

	/* A run that ends well leaves no file. */
	orphans_init(&o, path.data);
	CHECK_INT(orphans_note(&o, a, &err), 0);
	CHECK(exists(path.data));
	orphans_ended(&o, a);
	orphans_release(&o);
	CHECK(!exists(path.data));

	/* A killed run: a's record; b's as if its number had gone to
	 * another process (another start time); a torn last line. */
	orphans_init(&o, path.data);
	CHECK_INT(orphans_note(&o, a, &err), 0);
	orphans_release(&o);	/* a still runs: the file stays */
	CHECK(exists(path.data));
	buf_addf(&text, "1 %ld 1 %s\n1 77 12", (long)b, boot);
	append(path.data, text.data);
	CHECK_INT(orphans_stop(path.data, &n, &err), 0);
	CHECK_INT(n, 1);
	CHECK_INT(waitpid(a, NULL, 0), a);
	CHECK(alive(b));
	CHECK(!exists(path.data));

	/* A line that is not a record: named, the file kept, the others
	 * still stopped. */
	orphans_init(&o, path.data);
	CHECK_INT(orphans_note(&o, b, &err), 0);
	orphans_release(&o);
	append(path.data, "garbage\n");
	CHECK_INT(orphans_stop(path.data, &n, &err), -1);
	CHECK_INT(n, 1);
	buf_truncate(&text, 0);
	buf_addf(&text, "%s:2: not a record of a running stage", path.data);
	CHECK_STR(err.msg, text.data);
	CHECK(exists(path.data));
	CHECK_INT(waitpid(b, NULL, 0), b);
	unlink(path.data);

	/* Another boot's records, and a group whose every process has
	 * ended: passed over. */
	a = sleeper();
	orphans_init(&o, path.data);
	CHECK_INT(orphans_note(&o, a, &err), 0);
	kill(a, SIGKILL);
	CHECK_INT(waitpid(a, NULL, 0), a);
	orphans_release(&o);
	append(path.data, "1 123 5 another-boot\n");
	CHECK_INT(orphans_stop(path.data, &n, &err), 0);
	CHECK_INT(n, 0);
	CHECK(!exists(path.data));
	buf_release(&path);
	buf_release(&text);
}

int main(void)
{
	struct buf rm = BUF_INIT;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_store_cloexec();
	test_job_fds();
	test_job_bad_log();
	test_orphans();
	buf_addf(&rm, "rm -rf '%s'", dir);
	if (system(rm.data) != 0)
		fprintf(stderr, "cannot remove '%s'\n", dir);
	buf_release(&rm);
	return check_done("test_proc");
}
