/*
 * The B-tree check: every page of the store's LMDB trees read from the
 * data file itself and checked for what LMDB takes on trust.  LMDB never
 * validates a page it reads: a damaged one makes it fail an assertion
 * (abort), or follow a node's offset or a child's page number anywhere.
 * So fsck walks the trees here first, and lets LMDB near a store only
 * once its structure is sound; and a repair that cannot work in place
 * takes the records of the sound leaves from this walk
 * (docs/store-format.md, "damaged pages").
 *
 * The format is LMDB 0.9's (mdb.c, with MDB_DEVEL off): a page starts with
 * a 16-byte header (u64 page number, u16 pad, u16 flags, u16 lower and
 * upper bounds of its free space, or u32 page count for an overflow page),
 * then u16 offsets of its nodes.  A node is u16 lo, hi, flags, key size,
 * the key, then (leaf) lo | hi << 16 bytes of data or (branch) the child
 * page lo | hi << 16 | flags << 32.  A database record (the root of a
 * named database, of a key's duplicates) is 48 bytes: u32 pad, u16 flags,
 * u16 depth, four u64 counts (the fourth: entries) and the u64 root page.
 * Pages 0 and 1 are the meta pages; the newer holds the roots of the free
 * list and of the main database, whose records are the named databases.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "store_internal.h"
#include "util.h"

#define PAGEHDR 16
#define NODEHDR 8
#define DBREC 48
#define MAXKEY 511
#define MAXDEPTH 32
#define NO_PAGE UINT64_MAX

enum { P_BRANCH = 0x01, P_LEAF = 0x02, P_OVERFLOW = 0x04, P_META = 0x08,
       P_DIRTY = 0x10, P_LEAF2 = 0x20, P_SUBP = 0x40 };
enum { F_BIGDATA = 0x01, F_SUBDATA = 0x02, F_DUPDATA = 0x04 };

/* What a tree holds. */
enum tree_kind {
	T_FREE,		/* the free list: txn id -> page numbers */
	T_MAIN,		/* the main database: name -> database record */
	T_PLAIN,	/* a named database, one value per key */
	T_DUPSORT,	/* a named database, sorted values per key */
	T_DUPS,		/* the values of one key of a T_DUPSORT */
};

struct named {
	char name[MAXKEY + 1];
	unsigned char rec[DBREC];
};

struct walk {
	const struct page_visitor *pv;
	int fd;
	size_t psize;
	uint64_t npages;		/* last page + 1 */
	unsigned char *seen;		/* a bit per page in some tree */
	uint64_t *freed;		/* page numbers the free list holds */
	size_t nfreed, freecap;
	struct named *named;		/* the main database's records */
	size_t nnamed, namedcap;
	struct buf big;			/* an overflow value */
	uint64_t damaged;
	int stop;			/* rec failed */
	int rc;
};

struct tree {
	const char *db;
	enum tree_kind kind;
	unsigned depth;
	const unsigned char *dupkey;	/* T_DUPS: the key */
	size_t dupklen;
};

static uint16_t u16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void bad(struct walk *w, const struct tree *t, uint64_t pgno,
		const char *why)
{
	w->damaged++;
	if (w->pv->bad)
		w->pv->bad(t->db, pgno, why, w->pv->ctx);
}

static int seen(struct walk *w, uint64_t pgno)
{
	return w->seen[pgno >> 3] & (1 << (pgno & 7));
}

static void mark(struct walk *w, uint64_t pgno)
{
	w->seen[pgno >> 3] |= (unsigned char)(1 << (pgno & 7));
}

/* Read n bytes at off; 0, or -1 for a short read or an error. */
static int readat(struct walk *w, void *buf, size_t n, uint64_t off)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = pread(w->fd, (char *)buf + got, n - got,
				  (off_t)(off + got));
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* Page pgno of tree t into buf: 0, or -1 after reporting why not. */
static int get_page(struct walk *w, const struct tree *t, uint64_t pgno,
		    unsigned char *buf)
{
	if (pgno < 2 || pgno >= w->npages) {
		bad(w, t, pgno, "a page number past the end of the file");
		return -1;
	}
	if (seen(w, pgno)) {
		bad(w, t, pgno, "a page reached twice");
		return -1;
	}
	if (readat(w, buf, w->psize, pgno * w->psize) < 0) {
		bad(w, t, pgno, "the page cannot be read");
		return -1;
	}
	if (get_u64(buf) != pgno) {
		bad(w, t, pgno, "the page says it is another page");
		return -1;
	}
	mark(w, pgno);
	return 0;
}

static void tree_walk(struct walk *w, const struct tree *t, uint64_t pgno,
		      unsigned level);

/* A database record (48 bytes) as the root of tree t. */
static void walk_db(struct walk *w, const struct tree *t,
		    const unsigned char *rec, uint64_t at)
{
	struct tree sub = *t;
	uint64_t root = get_u64(rec + 40);

	sub.depth = u16(rec + 6);
	if (root == NO_PAGE) {
		if (sub.depth)
			bad(w, t, at, "an empty database with a depth");
		return;
	}
	if (!sub.depth || sub.depth > MAXDEPTH) {
		bad(w, t, at, "a database record with a bad depth");
		return;
	}
	tree_walk(w, &sub, root, 1);
}

static void add_freed(struct walk *w, const unsigned char *v, size_t n,
		      const struct tree *t, uint64_t pgno)
{
	uint64_t count, i;

	if (n < 8 || (n - 8) % 8 || (count = get_u64(v)) != (n - 8) / 8) {
		bad(w, t, pgno, "a free list record is malformed");
		return;
	}
	for (i = 0; i < count; i++) {
		uint64_t p = get_u64(v + 8 + 8 * i);
		if (p < 2 || p >= w->npages) {
			bad(w, t, pgno, "the free list names a page past the "
					"end of the file");
			return;
		}
		xgrow((void **)&w->freed, &w->freecap, w->nfreed + 1,
		      sizeof(*w->freed));
		w->freed[w->nfreed++] = p;
	}
}

/* The value of a big node: its overflow pages, checked and read. */
static const unsigned char *overflow(struct walk *w, const struct tree *t,
				     uint64_t at, uint64_t ov, size_t n)
{
	unsigned char *hdr = xmalloc(w->psize);
	uint64_t pages, i;

	if (get_page(w, t, ov, hdr) < 0) {
		free(hdr);
		return NULL;
	}
	pages = get_u32(hdr + 12);
	if (u16(hdr + 10) != P_OVERFLOW || !pages ||
	    pages > w->npages - ov ||
	    (PAGEHDR - 1 + (uint64_t)n) / w->psize + 1 > pages) {
		free(hdr);
		bad(w, t, at, "a value's overflow pages are damaged");
		return NULL;
	}
	free(hdr);
	for (i = 1; i < pages; i++) {
		if (seen(w, ov + i)) {
			bad(w, t, ov + i, "a page reached twice");
			return NULL;
		}
		mark(w, ov + i);
	}
	buf_truncate(&w->big, 0);
	if (!w->pv->rec && t->kind != T_FREE)
		return (const unsigned char *)"";	/* checked, not needed */
	buf_reserve(&w->big, n);
	if (readat(w, w->big.data, n, ov * w->psize + PAGEHDR) < 0) {
		bad(w, t, ov, "the page cannot be read");
		return NULL;
	}
	return (const unsigned char *)w->big.data;
}

static void emit(struct walk *w, const struct tree *t, const void *k,
		 size_t klen, const void *v, size_t vlen)
{
	MDB_val key = { klen, (void *)k }, val = { vlen, (void *)v };

	if (!w->pv->rec || w->stop || t->kind == T_FREE || t->kind == T_MAIN)
		return;
	if ((w->rc = w->pv->rec(t->db, &key, &val, w->pv->ctx)))
		w->stop = 1;
}

/* The duplicates of key k kept in a sub-page p[0..n). */
static void sub_page(struct walk *w, const struct tree *t, uint64_t at,
		     const unsigned char *k, size_t klen,
		     const unsigned char *p, size_t n)
{
	uint16_t lower, upper, i, nk;

	if (n < PAGEHDR) {
		bad(w, t, at, "a key's values are damaged");
		return;
	}
	lower = u16(p + 12);
	upper = u16(p + 14);
	if ((u16(p + 10) & ~P_DIRTY) != (P_LEAF | P_SUBP) ||
	    lower < PAGEHDR || (lower - PAGEHDR) % 2 || lower > upper ||
	    upper > n || lower == PAGEHDR) {
		bad(w, t, at, "a key's values are damaged");
		return;
	}
	nk = (uint16_t)((lower - PAGEHDR) / 2);
	for (i = 0; i < nk; i++) {
		uint16_t off = u16(p + PAGEHDR + 2 * i), ks;

		if (off < upper || off % 2 || (size_t)off + NODEHDR > n ||
		    (ks = u16(p + off + 6)) > MAXKEY ||
		    (size_t)off + NODEHDR + ks > n || u16(p + off + 4) ||
		    u16(p + off) || u16(p + off + 2)) {
			bad(w, t, at, "a key's values are damaged");
			return;
		}
	}
	for (i = 0; i < nk; i++) {
		uint16_t off = u16(p + PAGEHDR + 2 * i);
		emit(w, t, k, klen, p + off + NODEHDR, u16(p + off + 6));
	}
}

static void leaf_node(struct walk *w, const struct tree *t, uint64_t pgno,
		      const unsigned char *pg, uint16_t off)
{
	const unsigned char *node = pg + off, *k = node + NODEHDR, *v;
	unsigned flags = u16(node + 4);
	uint16_t ks = u16(node + 6);
	size_t n = (size_t)u16(node) | (size_t)u16(node + 2) << 16;
	size_t room = w->psize - off - NODEHDR - ks;

	switch (t->kind) {
	case T_FREE:
	case T_PLAIN:
		if (flags & ~(unsigned)F_BIGDATA)
			goto bad;
		break;
	case T_MAIN:
		if (flags != F_SUBDATA || n != DBREC)
			goto bad;
		break;
	case T_DUPSORT:
		if (flags & ~(unsigned)(F_DUPDATA | F_SUBDATA) ||
		    flags == F_SUBDATA)
			goto bad;
		break;
	case T_DUPS:
		if (flags || n)
			goto bad;
		/* The key of this tree is the value. */
		emit(w, t, t->dupkey, t->dupklen, k, ks);
		return;
	}
	if (flags & F_BIGDATA) {
		if (room < 8 ||
		    !(v = overflow(w, t, pgno, get_u64(k + ks), n)))
			return;
	} else if (n > room) {
		goto bad;
	} else {
		v = k + ks;
	}
	if (t->kind == T_FREE) {
		if (ks != 8)
			goto bad;
		add_freed(w, v, n, t, pgno);
	} else if (t->kind == T_MAIN) {
		struct named *d;
		xgrow((void **)&w->named, &w->namedcap, w->nnamed + 1,
		      sizeof(*w->named));
		d = &w->named[w->nnamed++];
		memcpy(d->name, k, ks);
		d->name[ks] = '\0';
		memcpy(d->rec, v, DBREC);
	} else if (flags == (F_DUPDATA | F_SUBDATA)) {
		struct tree sub = *t;
		if (n != DBREC || u16(v + 4))
			goto bad;
		sub.kind = T_DUPS;
		sub.dupkey = k;
		sub.dupklen = ks;
		walk_db(w, &sub, v, pgno);
	} else if (flags == F_DUPDATA) {
		sub_page(w, t, pgno, k, ks, v, n);
	} else {
		emit(w, t, k, ks, v, n);
	}
	return;
bad:
	bad(w, t, pgno, "a record is malformed");
}

static void tree_walk(struct walk *w, const struct tree *t, uint64_t pgno,
		      unsigned level)
{
	unsigned char *pg = xmalloc(w->psize);
	uint16_t flags, lower, upper, i, nk;
	int leaf;

	if (get_page(w, t, pgno, pg) < 0)
		goto out;
	flags = u16(pg + 10);
	lower = u16(pg + 12);
	upper = u16(pg + 14);
	leaf = level == t->depth;
	if (flags != (leaf ? P_LEAF : P_BRANCH)) {
		bad(w, t, pgno, flags == P_LEAF || flags == P_BRANCH
					? "a page at the wrong depth"
					: "neither a branch nor a leaf page");
		goto out;
	}
	if (lower < PAGEHDR || (lower - PAGEHDR) % 2 || lower > upper ||
	    upper > w->psize) {
		bad(w, t, pgno, "the page's bounds are damaged");
		goto out;
	}
	nk = (uint16_t)((lower - PAGEHDR) / 2);
	/* LMDB asserts a branch has two children (but in the free list). */
	if (!nk || (!leaf && nk < 2 && t->kind != T_FREE)) {
		bad(w, t, pgno, "a page with too few entries");
		goto out;
	}
	for (i = 0; i < nk; i++) {
		uint16_t off = u16(pg + PAGEHDR + 2 * i), ks;
		if (off < upper || off % 2 || (size_t)off + NODEHDR > w->psize ||
		    (ks = u16(pg + off + 6)) > MAXKEY ||
		    (size_t)off + NODEHDR + ks > w->psize) {
			bad(w, t, pgno, "an entry lies outside its page");
			goto out;
		}
	}
	for (i = 0; i < nk && !w->stop; i++) {
		uint16_t off = u16(pg + PAGEHDR + 2 * i);
		const unsigned char *node = pg + off;

		if (leaf) {
			leaf_node(w, t, pgno, pg, off);
		} else {
			uint64_t child = (uint64_t)u16(node) |
					 (uint64_t)u16(node + 2) << 16 |
					 (uint64_t)u16(node + 4) << 32;
			tree_walk(w, t, child, level + 1);
		}
	}
out:
	free(pg);
}

static int by_pgno(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The meta page the walk starts from: the one txn began with (a write
 * transaction: the last commit), else the newer. */
static int pick_meta(struct walk *w, MDB_txn *txn, unsigned char *meta)
{
	unsigned char m[2][160];
	uint64_t want = mdb_txn_id(txn), id[2];
	int ok[2], i, pick = -1;

	for (i = 0; i < 2; i++) {
		ok[i] = readat(w, m[i], sizeof(m[i]), (uint64_t)i * w->psize) == 0 &&
			u16(m[i] + 10) == P_META &&
			get_u32(m[i] + 16) == 0xBEEFC0DEu &&
			get_u32(m[i] + 20) == 1 &&
			get_u32(m[i] + 40) == w->psize;
		id[i] = ok[i] ? get_u64(m[i] + 144) : 0;
	}
	/* A read transaction's id is its snapshot's; a write
	 * transaction's, the next. */
	for (i = 0; i < 2; i++)
		if (ok[i] && id[i] == want)
			pick = i;
	for (i = 0; i < 2 && pick < 0; i++)
		if (ok[i] && id[i] + 1 == want)
			pick = i;
	if (pick < 0 && (ok[0] || ok[1]))
		pick = ok[0] && (!ok[1] || id[0] > id[1]) ? 0 : 1;
	if (pick < 0)
		return -1;
	memcpy(meta, m[pick], sizeof(m[pick]));
	return 0;
}

static const struct tree meta_pages = { "file header", T_MAIN, 0, NULL, 0 };
static const struct tree meta_free = { "free list", T_FREE, 0, NULL, 0 };
static const struct tree meta_main = { "database list", T_MAIN, 0, NULL, 0 };

/* Walk every tree from a meta page's first 160 bytes. */
static int walk_all(struct walk *w, const unsigned char *meta)
{
	size_t i;

	w->npages = get_u64(meta + 136) + 1;
	w->seen = xcalloc((size_t)(w->npages / 8 + 1), 1);
	walk_db(w, &meta_free, meta + 40, 0);
	walk_db(w, &meta_main, meta + 88, 1);
	for (i = 0; i < w->nnamed && !w->stop; i++) {
		struct tree t = { w->named[i].name, T_PLAIN, 0, NULL, 0 };
		unsigned flags = u16(w->named[i].rec + 4);

		if (flags & ~(unsigned)MDB_DUPSORT) {
			bad(w, &meta_main, 1, "a database record has flags "
					      "cairn never sets");
			continue;
		}
		if (flags & MDB_DUPSORT)
			t.kind = T_DUPSORT;
		if (w->pv->tree)
			w->pv->tree(t.db, get_u64(w->named[i].rec + 32),
				    w->pv->ctx);
		walk_db(w, &t, w->named[i].rec, 1);
	}
	/* A page both free and in a tree would be written over by the
	 * next transaction that takes it. */
	if (w->nfreed > 1)
		qsort(w->freed, w->nfreed, sizeof(*w->freed), by_pgno);
	for (i = 0; i < w->nfreed && !w->stop; i++)
		if (seen(w, w->freed[i]) ||
		    (i && w->freed[i] == w->freed[i - 1]))
			bad(w, &meta_free, w->freed[i], "a page both free and "
							"in use");
	free(w->seen);
	free(w->freed);
	free(w->named);
	buf_release(&w->big);
	return w->stop ? w->rc : 0;
}

int pages_walk(struct store *s, MDB_txn *txn, const struct page_visitor *pv,
	       uint64_t *damaged, struct err *err)
{
	unsigned char meta[160];
	struct walk w;
	int fd, rc;

	*damaged = 0;
	if ((rc = mdb_env_get_fd(s->env, &fd)))
		return store_fail(err, rc, "cannot read '%s'", s->path);
	memset(&w, 0, sizeof(w));
	w.pv = pv;
	w.fd = fd;
	w.psize = s->psize;
	buf_init(&w.big);
	if (pick_meta(&w, txn, meta) < 0)
		return store_fail(err, STORE_CORRUPT, "store '%s' has no sound "
						      "meta page",
				  s->path);
	rc = walk_all(&w, meta);
	*damaged = w.damaged;
	return rc;
}

/*
 * What is wrong with meta page m (its first 160 bytes) for pages of
 * psize in a file of fsize bytes, or NULL.  *lmdb: whether LMDB can open
 * the file with it (it reads the other meta page at this page size);
 * *usable: whether its roots can be walked (its page size may be wrong).
 */
static const char *meta_problem(const unsigned char *m, size_t psize,
				uint64_t fsize, int *lmdb, int *usable)
{
	uint64_t last = get_u64(m + 136);
	const char *why = NULL;
	int i;

	*lmdb = *usable = 0;
	if (u16(m + 10) != P_META || get_u32(m + 16) != 0xBEEFC0DEu)
		return "not a meta page";
	if (get_u32(m + 20) != 1)
		return "a meta page of another LMDB version";
	if (get_u32(m + 40) != psize)
		why = "its page size is damaged";
	else
		*lmdb = 1;
	if (last < 1 || last >= fsize / psize)
		return "its last page is past the end of the file";
	for (i = 0; i < 2; i++) {
		unsigned depth = u16(m + 46 + 48 * i);
		uint64_t root = get_u64(m + 80 + 48 * i);
		if (root == NO_PAGE ? depth != 0
				    : root < 2 || root > last || !depth ||
					      depth > MAXDEPTH)
			return "a root it names is damaged";
	}
	*usable = 1;
	return why;
}

static int pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

int pages_walk_file(const char *path, const struct page_visitor *pv,
		    uint64_t *damaged, struct err *err)
{
	struct buf data = BUF_INIT;
	unsigned char m[2][160];
	const char *why[2];
	struct walk w;
	struct stat st;
	uint64_t psize;
	int fd, i, lmdb[2], usable[2], newer, from = -1, rc = 0;

	*damaged = 0;
	buf_addf(&data, "%s/data.mdb", path);
	fd = open(data.data, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = errno == ENOENT ? 0 : store_fail(err, errno, "cannot read "
								  "'%s'",
						      data.data);
		buf_release(&data);
		return rc;
	}
	memset(&w, 0, sizeof(w));
	w.pv = pv;
	w.fd = fd;
	buf_init(&w.big);
	memset(m, 0, sizeof(m));
	/* The page size: the first meta page's, as LMDB takes it. */
	/* Too short to hold a meta page (a creation cut short): store_open
	 * says what it is. */
	if (fstat(fd, &st) < 0 || readat(&w, m[0], sizeof(m[0]), 0) < 0)
		goto out;
	/* The page size: the first meta page's, as LMDB takes it, unless
	 * the second meta page is found (saying so) at another one. */
	{
		uint64_t cand[3] = { get_u32(m[0] + 40),
				     (uint64_t)sysconf(_SC_PAGESIZE), 4096 };
		psize = 0;
		for (i = 0; i < 3 && !psize; i++) {
			if (!pow2(cand[i]) || cand[i] < 512 || cand[i] > 65536 ||
			    readat(&w, m[1], sizeof(m[1]), cand[i]) < 0)
				continue;
			if (u16(m[1] + 10) == P_META &&
			    get_u32(m[1] + 16) == 0xBEEFC0DEu &&
			    get_u32(m[1] + 40) == cand[i])
				psize = cand[i];
		}
		if (!psize)
			psize = pow2(cand[0]) && cand[0] >= 512 && cand[0] <= 65536
					? cand[0]
					: cand[1];
		w.psize = (size_t)psize;
		if (readat(&w, m[1], sizeof(m[1]), psize) < 0)
			memset(m[1], 0, sizeof(m[1]));
	}
	for (i = 0; i < 2; i++)
		why[i] = meta_problem(m[i], w.psize, (uint64_t)st.st_size,
				      &lmdb[i], &usable[i]);
	/* LMDB opens the file only with both pages sound enough, and takes
	 * the newer: damage that matters.  The walk starts from the newer
	 * page whose roots are sound. */
	newer = get_u64(m[1] + 144) > get_u64(m[0] + 144);
	for (i = 0; i < 2; i++)
		if (why[i] && (!lmdb[i] || i == newer))
			bad(&w, &meta_pages, (uint64_t)i, why[i]);
	if (usable[newer])
		from = newer;
	else if (usable[!newer])
		from = !newer;
	if (from < 0) {
		/* No meta page LMDB would take, or a file cut short:
		 * store_open says what it is (LMDB refuses the one, it
		 * refuses the other). */
		if ((!lmdb[0] && !lmdb[1]) ||
		    get_u64(m[newer] + 136) >= (uint64_t)st.st_size / w.psize) {
			w.damaged = 0;
			goto out;
		}
		rc = store_fail(err, STORE_CORRUPT, "store '%s' has no sound "
						    "meta page",
				path);
		goto out;
	}
	rc = walk_all(&w, m[from]);
out:
	*damaged = w.damaged;
	close(fd);
	buf_release(&data);
	return rc;
}

struct finding_ctx {
	void (*fn)(const struct store_finding *f, void *ctx);
	void *ctx;
};

static void on_bad(const char *db, uint64_t pgno, const char *why, void *ctx)
{
	struct finding_ctx *c = ctx;
	char key[48];
	struct store_finding f = { db, key, why, 0, 0 };

	snprintf(key, sizeof(key), "page %llu", (unsigned long long)pgno);
	if (c->fn)
		c->fn(&f, c->ctx);
}

int store_check_pages(const char *path,
		      void (*fn)(const struct store_finding *f, void *ctx),
		      void *ctx, uint64_t *damaged, struct err *err)
{
	struct finding_ctx c = { fn, ctx };
	struct page_visitor pv = { on_bad, NULL, NULL, &c };

	return pages_walk_file(path, &pv, damaged, err);
}
