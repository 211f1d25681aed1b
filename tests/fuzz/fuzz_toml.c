/*
 * libFuzzer target for the TOML parser: any input must parse or fail with
 * a located message, never crash, leak or read out of bounds; a document
 * that parses must also print as JSON.  Built with clang as fuzz_toml;
 * with other compilers, replay.c turns it into a corpus replayer.
 */
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "toml.h"
#include "toml_json.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct toml_doc *doc;
	struct err err;
	struct buf out = BUF_INIT;

	if (toml_parse((const char *)data, size, "fuzz.toml", &doc, &err) < 0) {
		if (strncmp(err.msg, "fuzz.toml:", 10))
			BUG("error without a location: %s", err.msg);
		return 0;
	}
	toml_json(&out, toml_root(doc));
	buf_release(&out);
	toml_doc_free(doc);
	return 0;
}
