/*
 * The records of the store, byte by byte (docs/store-format.md): settings,
 * chunks, blobs and tree encodings.  Every decoder checks every length, so
 * a damaged value is reported as STORE_CORRUPT and never read past.
 */
#include <zstd.h>

#include "store_writer.h"
#include "util.h"

#define CONFIG_LEN 15

static void config_default(struct store_config *c)
{
	c->compression = STORE_COMPRESS_NONE;
	c->zstd_level = 3;
	c->chunk_min = CHUNK_MIN_DEFAULT;
	c->chunk_avg = CHUNK_AVG_DEFAULT;
	c->chunk_max = CHUNK_MAX_DEFAULT;
	c->keep_runs = 3;
}

static int config_valid(const struct store_config *c)
{
	struct chunk_params p = { c->chunk_min, c->chunk_avg, c->chunk_max };

	return (c->compression == STORE_COMPRESS_NONE ||
		c->compression == STORE_COMPRESS_ZSTD) &&
	       c->zstd_level >= 1 && c->zstd_level <= 19 &&
	       c->chunk_max <= ((uint32_t)64 << 20) &&
	       c->keep_runs >= 1 && c->keep_runs <= 1000000 &&
	       chunk_params_check(&p) == 0;
}

int store_config_get(struct store *s, struct store_config *out)
{
	MDB_val key = { 6, (void *)"config" }, kkey = { 4, (void *)"keep" }, val;
	MDB_txn *txn;
	const unsigned char *p;
	int rc;

	config_default(out);
	if ((rc = store_read_begin(s, &txn, NULL)))
		return rc;
	/* "keep": version byte, u32 keep_runs; absent: the default. */
	rc = mdb_get(txn, s->meta, &kkey, &val);
	p = val.mv_data;
	if (rc == 0 && (val.mv_size != 5 || p[0] != RECORD_VERSION)) {
		store_read_end(s);
		return STORE_CORRUPT;
	}
	if (rc == 0)
		out->keep_runs = get_u32(p + 1);
	rc = mdb_get(txn, s->meta, &key, &val);
	if (rc == MDB_NOTFOUND) {
		store_read_end(s);
		return config_valid(out) ? 0 : STORE_CORRUPT;
	}
	if (rc) {
		store_read_end(s);
		return store_fail(NULL, rc, "config");
	}
	p = val.mv_data;
	if (val.mv_size != CONFIG_LEN || p[0] != RECORD_VERSION) {
		store_read_end(s);
		return STORE_CORRUPT;
	}
	out->compression = p[1];
	out->zstd_level = p[2];
	out->chunk_min = get_u32(p + 3);
	out->chunk_avg = get_u32(p + 7);
	out->chunk_max = get_u32(p + 11);
	store_read_end(s);
	return config_valid(out) ? 0 : STORE_CORRUPT;
}

int store_config_set(struct store *s, const struct store_config *c,
		     struct err *err)
{
	MDB_val key = { 6, (void *)"config" }, val;
	unsigned char v[CONFIG_LEN];
	MDB_txn *txn;
	int rc;

	if (!config_valid(c))
		return store_fail(err, STORE_BADARG,
				  "invalid store settings: chunk sizes must be "
				  "64 <= min < avg < max <= 64 MiB with avg a "
				  "power of two, zstd level 1 to 19, keep-runs 1 "
				  "to 1000000");
	v[0] = RECORD_VERSION;
	v[1] = (unsigned char)c->compression;
	v[2] = (unsigned char)c->zstd_level;
	put_u32(v + 3, c->chunk_min);
	put_u32(v + 7, c->chunk_avg);
	put_u32(v + 11, c->chunk_max);
	val.mv_size = sizeof(v);
	val.mv_data = v;
	if ((rc = store_reserve(s, sizeof(v), err)) ||
	    (rc = store_txn_begin(s, 1, &txn, err)))
		return rc;
	if ((rc = mdb_put(txn, s->meta, &key, &val, 0))) {
		mdb_txn_abort(txn);
		return store_fail(err, rc, "cannot save the settings");
	}
	{
		MDB_val kkey = { 4, (void *)"keep" };
		unsigned char kv[5];
		kv[0] = RECORD_VERSION;
		put_u32(kv + 1, c->keep_runs);
		val.mv_size = sizeof(kv);
		val.mv_data = kv;
		if ((rc = mdb_put(txn, s->meta, &kkey, &val, 0))) {
			mdb_txn_abort(txn);
			return store_fail(err, rc, "cannot save the settings");
		}
	}
	rc = mdb_txn_commit(txn);
	store_read_refresh(s);
	if (rc)
		return store_fail(err, store_io_errno(s, rc),
				  "cannot save the settings");
	s->cfg = *c;
	return 0;
}

int blob_decode(const MDB_val *v, struct blob_rec *out)
{
	const unsigned char *p = v->mv_data;

	if (v->mv_size < BLOB_HDR || p[0] != RECORD_VERSION)
		return STORE_CORRUPT;
	out->kind = p[1];
	out->size = get_u64(p + 2);
	out->data = NULL;
	out->n = 0;
	out->list = NULL;
	if (out->kind == BLOB_INLINE) {
		if (v->mv_size - BLOB_HDR != out->size)
			return STORE_CORRUPT;
		out->data = p + BLOB_HDR;
		return 0;
	}
	if (out->kind != BLOB_CHUNKED || v->mv_size < BLOB_HDR + 4)
		return STORE_CORRUPT;
	out->n = get_u32(p + BLOB_HDR);
	out->list = p + BLOB_HDR + 4;
	if ((v->mv_size - BLOB_HDR - 4) / BLOB_ENTRY != out->n ||
	    (v->mv_size - BLOB_HDR - 4) % BLOB_ENTRY)
		return STORE_CORRUPT;
	return 0;
}

void blob_chunk(const struct blob_rec *b, uint32_t i, struct digest *id,
		uint32_t *len)
{
	const unsigned char *e = b->list + (size_t)i * BLOB_ENTRY;

	memcpy(id->b, e, DIGEST_LEN);
	*len = get_u32(e + DIGEST_LEN);
}

int chunk_bytes(const MDB_val *v, struct buf *scratch,
		const unsigned char **data, size_t *len)
{
	const unsigned char *p = v->mv_data;
	uint32_t raw;
	size_t got;

	if (v->mv_size < CHUNK_HDR || p[0] != RECORD_VERSION)
		return STORE_CORRUPT;
	raw = get_u32(p + 2);
	if (p[1] == CODEC_RAW) {
		if (v->mv_size - CHUNK_HDR != raw)
			return STORE_CORRUPT;
		*data = p + CHUNK_HDR;
		*len = raw;
		return 0;
	}
	if (p[1] != CODEC_ZSTD || raw > ((uint32_t)64 << 20))
		return STORE_CORRUPT;
	buf_truncate(scratch, 0);
	buf_reserve(scratch, raw);
	got = ZSTD_decompress(scratch->data, raw, p + CHUNK_HDR,
			      v->mv_size - CHUNK_HDR);
	if (ZSTD_isError(got) || got != raw)
		return STORE_CORRUPT;
	scratch->len = raw;
	*data = (const unsigned char *)scratch->data;
	*len = raw;
	return 0;
}

/* ---- trees ---- */

int tree_path_safe(const char *rel)
{
	const char *p = rel;

	if (!*rel || *rel == '/')
		return -1;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return -1;
		p += n;
		if (*p == '/') {
			p++;
			if (!*p)
				return -1;
		}
	}
	return 0;
}

int tree_link_safe(const char *rel, const char *target)
{
	int depth = 0;
	const char *p;

	if (!*target || *target == '/')
		return -1;
	/* Depth of the directory holding the link. */
	for (p = rel; *p; p++)
		depth += *p == '/';
	for (p = target; *p;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return -1;
		} else if (n && !(n == 1 && p[0] == '.')) {
			depth++;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	return 0;
}

int tree_iter_init(struct tree_iter *it, const unsigned char *enc, size_t len)
{
	buf_init(&it->path);
	buf_init(&it->target);
	if (len < TREE_MAGIC_LEN + 4 || memcmp(enc, TREE_MAGIC, TREE_MAGIC_LEN))
		return STORE_CORRUPT;
	it->left = get_u32(enc + TREE_MAGIC_LEN);
	it->p = enc + TREE_MAGIC_LEN + 4;
	it->end = enc + len;
	return 0;
}

/*
 * Entry: kind (1 byte), size (u64), id (32), path length (u32), path,
 * and for a link: target length (u32), target.  The kinds 'F', 'X' and
 * 'D' (schema 2) are 'f', 'x' and 'd' with STORE_MODE_PRIVATE.
 */
int tree_iter_next(struct tree_iter *it, struct store_tree_entry *e)
{
	const unsigned char *p = it->p;
	uint32_t n;

	if (!it->left)
		return p == it->end ? 0 : STORE_CORRUPT;
	if ((size_t)(it->end - p) < 45)
		return STORE_CORRUPT;
	e->kind = (char)p[0];
	e->mode = 0;
	if (e->kind == 'F' || e->kind == 'X' || e->kind == 'D') {
		e->kind = (char)(e->kind - 'A' + 'a');
		e->mode = STORE_MODE_PRIVATE;
	}
	if (e->kind == 'x')
		e->mode |= STORE_MODE_EXEC;
	e->size = get_u64(p + 1);
	memcpy(e->id.b, p + 9, DIGEST_LEN);
	n = get_u32(p + 41);
	p += 45;
	if ((size_t)(it->end - p) < n || memchr(p, '\0', n))
		return STORE_CORRUPT;
	buf_truncate(&it->path, 0);
	buf_add(&it->path, p, n);
	p += n;
	e->path = it->path.data;
	e->target = NULL;
	if (tree_path_safe(e->path) < 0)
		return STORE_CORRUPT;
	switch (e->kind) {
	case 'f':
	case 'x':
	case 'd':
		break;
	case 'l':
		if ((size_t)(it->end - p) < 4)
			return STORE_CORRUPT;
		n = get_u32(p);
		p += 4;
		if ((size_t)(it->end - p) < n || memchr(p, '\0', n) ||
		    n != e->size)
			return STORE_CORRUPT;
		buf_truncate(&it->target, 0);
		buf_add(&it->target, p, n);
		p += n;
		e->target = it->target.data;
		if (tree_link_safe(e->path, e->target) < 0)
			return STORE_CORRUPT;
		break;
	default:
		return STORE_CORRUPT;
	}
	it->p = p;
	it->left--;
	return 1;
}

void tree_iter_release(struct tree_iter *it)
{
	buf_release(&it->path);
	buf_release(&it->target);
}
