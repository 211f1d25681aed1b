/*
 * The run record's payload: runrec_encode writes exactly the bytes
 * docs/store-format.md describes, and runrec_from reads back what was
 * written (a command stage that succeeded under a cluster scheduler, a
 * kind stage killed by a signal).
 */
#include "buf.h"
#include "check.h"
#include "digest.h"
#include "json.h"
#include "runrec.h"
#include "store.h"

static struct digest filled(unsigned char c)
{
	struct digest d;

	memset(d.b, c, DIGEST_LEN);
	return d;
}

/* r's payload, read back through a store record of it. */
static int decode(const struct buf *payload, struct runrec *r)
{
	static struct digest ids[2];
	struct store_run sr;
	struct digest id = filled(0xee);

	ids[0] = filled(0xa1);
	ids[1] = filled(0xa2);
	memset(&sr, 0, sizeof(sr));
	sr.inputs = &ids[0];
	sr.ninputs = 1;
	sr.outputs = &ids[1];
	sr.noutputs = 1;
	sr.key = filled(0xdd);
	sr.time_ns = 1700000000000000000LL;
	sr.payload = payload->data;
	sr.len = payload->len;
	return runrec_from(&id, &sr, r);
}

static void test_command(void)
{
	struct runrec_input in[3];
	struct runrec_output out[2];
	struct runrec_new rn;
	struct buf b = BUF_INIT, want = BUF_INIT;
	struct runrec r;
	const struct json *v;
	double num;

	memset(in, 0, sizeof(in));
	memset(out, 0, sizeof(out));
	in[0].path = "data/a.csv";
	in[0].id = filled(0x11);
	in[1].path = "out/b.txt";
	in[1].id = filled(0x22);
	in[1].from = "make[k=1]";
	in[2].path = "train.py";
	in[2].id = filled(0x33);
	in[2].code = 1;
	out[0].name = "model";
	out[0].path = "out/model.bin";
	out[0].id = filled(0x44);
	out[0].mode = 0100644;	/* nothing a restore must keep */
	out[1].name = "run";
	out[1].path = "out/run.sh";
	out[1].id = filled(0x55);
	out[1].mode = 0100755;	/* executable */
	memset(&rn, 0, sizeof(rn));
	rn.graph = "g";
	rn.instance = "train[k=1]";
	rn.cmd = "python \"train.py\"";
	rn.params = "{\"k\": 1}";
	rn.matrix = "{\"k\": 1}";
	rn.metrics = "\"loss\": 0.25";
	rn.inputs = in;
	rn.ninputs = 3;
	rn.outputs = out;
	rn.noutputs = 2;
	rn.scheduler = "slurm";
	rn.job = "123";
	rn.node = "n1";
	rn.state = "COMPLETED";
	rn.start_ns = 1700000000000000000LL;
	rn.duration_ns = 2500000000LL;
	rn.peak_rss_kib = 2048;
	rn.cpu_s = 1.25;
	rn.log = filled(0x66);
	rn.env = "{\"cairn\": \"0.1.0\"}";
	rn.key_enc = "K\001\377";
	rn.key_enc_len = 3;
	runrec_encode(&b, &rn);

	buf_adds(&want,
		 "{\"graph\": \"g\", \"instance\": \"train[k=1]\", \"cmd\": "
		 "\"python \\\"train.py\\\"\", \"exit\": 0, \"params\": "
		 "{\"k\": 1}, \"matrix\": {\"k\": 1}, \"metrics\": "
		 "{\"loss\": 0.25}, \"inputs\": [{\"path\": \"data/a.csv\", "
		 "\"id\": \"");
	buf_adds(&want, "1111111111111111111111111111111111111111111111111111111111111111");
	buf_adds(&want, "\"}, {\"path\": \"out/b.txt\", \"id\": \"");
	buf_adds(&want, "2222222222222222222222222222222222222222222222222222222222222222");
	buf_adds(&want, "\", \"from\": \"make[k=1]\"}, {\"path\": \"train.py\", "
			"\"id\": \"");
	buf_adds(&want, "3333333333333333333333333333333333333333333333333333333333333333");
	buf_adds(&want, "\", \"code\": true}], \"outputs\": [{\"name\": \"model\", "
			"\"path\": \"out/model.bin\", \"id\": \"");
	buf_adds(&want, "4444444444444444444444444444444444444444444444444444444444444444");
	buf_adds(&want, "\"}, {\"name\": \"run\", \"path\": \"out/run.sh\", "
			"\"id\": \"");
	buf_adds(&want, "5555555555555555555555555555555555555555555555555555555555555555");
	buf_adds(&want, "\", \"mode\": \"0755\"}], \"scheduler\": {\"name\": "
			"\"slurm\", \"job\": \"123\", \"node\": \"n1\", "
			"\"state\": \"COMPLETED\"}, \"start_ns\": "
			"1700000000000000000, \"duration_ns\": 2500000000, "
			"\"peak_rss_kib\": 2048, \"cpu_s\": 1.250, \"log\": \"");
	buf_adds(&want, "6666666666666666666666666666666666666666666666666666666666666666");
	buf_adds(&want, "\", \"env\": {\"cairn\": \"0.1.0\"}, \"key_encoding\": "
			"\"4b01ff\"}");
	CHECK_STR(b.data, want.data);

	CHECK_INT(decode(&b, &r), 0);
	CHECK_STR(r.graph, "g");
	CHECK(r.ninputs == 1 && r.inputs[0].b[0] == 0xa1);
	CHECK(r.noutputs == 1 && r.outputs[0].b[0] == 0xa2);
	CHECK(r.start_ns == 1700000000000000000LL && r.key.b[0] == 0xdd);
	CHECK_STR(r.instance, "train[k=1]");
	CHECK_STR(r.stage, "train");
	CHECK_STR(r.cmd, "python \"train.py\"");
	CHECK_INT(r.exit, 0);
	CHECK_INT(r.ok, 1);
	CHECK(r.error == NULL);
	CHECK(r.duration_s == 2.5);
	CHECK(json_num(runrec_get(&r, "metrics"), "loss", &num) == 0 &&
	      num == 0.25);
	v = runrec_get(&r, "inputs");
	CHECK(v && v->type == JSON_ARRAY && v->u.array.n == 3);
	if (v && v->type == JSON_ARRAY && v->u.array.n == 3) {
		CHECK_STR(json_str(v->u.array.v[1], "from"), "make[k=1]");
		CHECK(json_member(v->u.array.v[2], "code") != NULL);
	}
	v = runrec_get(&r, "outputs");
	CHECK(v && v->type == JSON_ARRAY && v->u.array.n == 2);
	if (v && v->type == JSON_ARRAY && v->u.array.n == 2) {
		CHECK(json_str(v->u.array.v[0], "mode") == NULL);
		CHECK_STR(json_str(v->u.array.v[1], "mode"), "0755");
	}
	CHECK_STR(json_str(runrec_get(&r, "scheduler"), "node"), "n1");
	CHECK_STR(json_str(runrec_get(&r, "env"), "cairn"), "0.1.0");
	CHECK_STR(json_str(r.payload, "key_encoding"), "4b01ff");
	runrec_release(&r);
	buf_release(&b);
	buf_release(&want);
}

/* A kind stage killed by signal 9: no outputs, no metrics, its error. */
static void test_kind_killed(void)
{
	struct runrec_new rn;
	struct buf b = BUF_INIT;
	struct runrec r;
	double num;

	memset(&rn, 0, sizeof(rn));
	rn.graph = "g";
	rn.instance = "bins";
	rn.kind = "binning";
	rn.kind_version = "abc123";
	rn.exit = 137;
	rn.signal = 9;
	rn.error = "killed by signal 9";
	rn.params = "{}";
	rn.matrix = "{}";
	rn.env = "{}";
	rn.scheduler = "";
	rn.job = rn.node = rn.state = "";
	rn.key_enc = "";
	runrec_encode(&b, &rn);
	CHECK_STR(b.data,
		  "{\"graph\": \"g\", \"instance\": \"bins\", \"kind\": "
		  "\"binning\", \"kind_version\": \"abc123\", \"exit\": 137, "
		  "\"signal\": 9, \"error\": \"killed by signal 9\", \"params\": "
		  "{}, \"matrix\": {}, \"inputs\": [], \"outputs\": [], "
		  "\"start_ns\": 0, \"duration_ns\": 0, \"peak_rss_kib\": 0, "
		  "\"cpu_s\": 0.000, \"log\": "
		  "\"0000000000000000000000000000000000000000000000000000000000000000\", "
		  "\"env\": {}, \"key_encoding\": \"\"}");
	CHECK_INT(decode(&b, &r), 0);
	CHECK_STR(r.cmd, "");
	CHECK_INT(r.exit, 137);
	CHECK_INT(r.ok, 0);
	CHECK_STR(r.error, "killed by signal 9");
	CHECK(json_num(r.payload, "signal", &num) == 0 && num == 9);
	CHECK(runrec_get(&r, "metrics") == NULL);
	CHECK(runrec_get(&r, "scheduler") == NULL);
	runrec_release(&r);
	buf_release(&b);
}

/* A record of no inputs and no outputs (a failed run reads nothing back
 * from the store: NULL arrays) is read without touching them. */
static void test_empty_lists(void)
{
	struct store_run sr;
	struct digest id = filled(0xee);
	struct runrec r;

	memset(&sr, 0, sizeof(sr));
	sr.payload = "{\"exit\": 2}";
	sr.len = strlen(sr.payload);
	CHECK_INT(runrec_from(&id, &sr, &r), 0);
	CHECK_INT(r.ninputs, 0);
	CHECK_INT(r.noutputs, 0);
	CHECK_INT(r.exit, 2);
	CHECK_INT(r.ok, 0);
	runrec_release(&r);
}

int main(void)
{
	test_command();
	test_kind_killed();
	test_empty_lists();
	return check_done("test_runrec");
}
