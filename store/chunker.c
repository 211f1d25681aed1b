#include "chunker.h"

/*
 * The gear table: splitmix64 values 1..256 from seed 0x6361697266e (the
 * generator is given in docs/store-format.md).  Part of the chunk format:
 * never edit.
 */
static const uint64_t gear[256] = {
	0xbcca21bbaff673aeull, 0x43fb0576d151e3dbull, 0x37bc2dc5a39cf9e8ull,
	0x0985f0bb8c1e50cbull, 0x8a72ade6404f3096ull, 0xe249c8d8ef728963ull,
	0xe6ea0836d2c51bd7ull, 0xb7b2cb6357539265ull, 0x920399ab4b5b16a1ull,
	0xd410e06355d2a431ull, 0x408abbddc82aba6cull, 0x864de41f69628066ull,
	0xc46ae538229a2388ull, 0x08e2ce9d17d46e35ull, 0x657b4025364c481full,
	0x6a5cb0301a355944ull, 0x481318da6be35b9bull, 0x1485e0f3e16f6900ull,
	0xe20d8836c594330aull, 0x146ec4dfe8907789ull, 0xc6f60275da0b4ae4ull,
	0x57972fb3f54bfa09ull, 0x6a606b7c4fc698a5ull, 0xbcb94d8f5f213c4bull,
	0x5c259c9faac8a742ull, 0x89d1d53b766f0d3bull, 0x4625bd31d5b18b9bull,
	0x6cae05a51b743766ull, 0x3f9f882ba2642c0cull, 0x748ef11394d41f2aull,
	0x6c58698c78dc08afull, 0x45bdf4274f10857full, 0xb2745c323cda94ecull,
	0x15bb66e6373a135bull, 0xfe32001035a4c8f8ull, 0x91f972892a985de2ull,
	0x582dd6a54030ebceull, 0x5f2b9fbf4ebe5ba7ull, 0x5606add9ee083658ull,
	0x57b93e2c99fd1a62ull, 0xc4ccf6e2a6a05936ull, 0xf1ec6bc83999062aull,
	0x0b3dce74d6f6c017ull, 0xe0d5579d5c42ecebull, 0xc8c42764f738f994ull,
	0x226cc4176adc9aafull, 0x2346f29ece5460a2ull, 0x314d29215306da0eull,
	0x112b4711f05d2893ull, 0x75f18e787136be6bull, 0xa4a45c4e1b1f4ffcull,
	0xf5cff50e16a08372ull, 0xc0730dd318a9a4faull, 0xcaa2b1552b9d8ed6ull,
	0xfa399fc858af261eull, 0x1eadc4fc1238ebadull, 0x69d1709750d42dc5ull,
	0xa2622c411548f891ull, 0x876adc534dec3bb2ull, 0xe96452e46caf2c54ull,
	0xb61b687a72e14157ull, 0x671f562e92fed82dull, 0x9a54e803b7238554ull,
	0xf1d5bae475cbec5aull, 0x50223d5817c3365bull, 0x72dac6bcc0b29081ull,
	0x32341036ded92133ull, 0x9c93768d12d0304full, 0xba303f725a42768aull,
	0x7d2da7abca2091b5ull, 0xb1c990057fb69cb3ull, 0x5b23fa5842e47d84ull,
	0x71a1a9861a2d3e3cull, 0xe58dfe25b0837f3aull, 0x73644be0a18a5428ull,
	0x651c183b454fe8ceull, 0x637341c36fe3e1e3ull, 0x43a461c7b840b9d1ull,
	0xe72ea37824baffcdull, 0x273e9279bc6e8a61ull, 0xc934684fe492ec6full,
	0x95eb31ab4818e65dull, 0x8263f54b76c9dd2eull, 0x3e1865da1f601d82ull,
	0x687144b79b581733ull, 0x8c77e776cbf5de57ull, 0xab6a4f84610a3001ull,
	0x077219660cba5286ull, 0xe1667abfd5529e3eull, 0xc05b85414f853f87ull,
	0x4a19eb71b7c67fe4ull, 0x0e5e80de0ff8d6e6ull, 0xb34ff35a17d02f4full,
	0x9559d3b0e8cecfb9ull, 0x3b1d273bb4a76397ull, 0x7cfa1aae50818285ull,
	0xa9afcdad5855c1c8ull, 0x138e9a7089394538ull, 0x89beef968a4c3596ull,
	0x134b0404d484d9c3ull, 0x940aac8a60d4ee98ull, 0x7fa8c7b6961dbcb8ull,
	0xd8866ebcac5de723ull, 0x85306a146346f800ull, 0xf79ff10d41e13ecaull,
	0x43adb4a2b1490156ull, 0x693625fa26f1e14full, 0xe48b63e1b9d401a1ull,
	0xf379489ede8cebefull, 0x9184d47756b89d70ull, 0xf0c3283ca19b58b8ull,
	0xdfd174bff904d4c9ull, 0xe1107cf96c556220ull, 0xcd5371cc18075716ull,
	0x15d59d566bc0c876ull, 0x0bab8a982a66d6a6ull, 0xa021921363b50000ull,
	0xc3b426d99c67bc4bull, 0x003b54be97077731ull, 0x2efaa44d86d0330eull,
	0x57b14ed9c5e07773ull, 0x3822b562cfc68232ull, 0xbbc1a567377b3c6dull,
	0x51f481d3cd88ae6cull, 0x36cdff9a2c003811ull, 0x74b418f90331c5bcull,
	0x7996b48563510cbaull, 0xe2456225bcc88a0bull, 0xb59a4c0dac356513ull,
	0x2efbb0b1ddf60cafull, 0xaf4dcb1cd8b87200ull, 0x81bfadd8096359cbull,
	0x01e98a144b2b3ea5ull, 0xfde3cf2dbb852155ull, 0xace5b449c70d4712ull,
	0xcfc3e74c197d1302ull, 0x51af2f76590653caull, 0xa0458f857b01d6f6ull,
	0x87921c4f798529baull, 0xfc70f1a0c84818ccull, 0x364a8ae08a36415cull,
	0xa2133815e4216d8aull, 0xa3bcfa4a331c9dc5ull, 0xc7e589aa93939153ull,
	0x62b4d97761cdebbeull, 0x8205d176a5ea0e5full, 0x0c3c37d30c6a5401ull,
	0x5d10c704caa639c8ull, 0xf5753377fdc900f9ull, 0x3be09aec7f0ca126ull,
	0x04c51264f0d5e2f5ull, 0x9b500af9f6cbdacaull, 0xafc265b701a467adull,
	0xc3b7f6a8587d9775ull, 0x30915e2569f643daull, 0xe04b81e84e91f00eull,
	0xe32943da686e4c26ull, 0xd04451cdb4d4e4a4ull, 0x51c9150977095cffull,
	0x0ba94d8deebcb080ull, 0x9c13829c7aef83b6ull, 0x0b9a1e55787847bcull,
	0x363bb6a2b7c03beaull, 0x4db1d4cf438c58c8ull, 0x48c5f92ff12b1c4eull,
	0x51ab1b46a1d01ef2ull, 0xb0de30c85833a751ull, 0xb481d7bef759a439ull,
	0xfa6c2e109c33c4b3ull, 0xf91df4dd05012ddaull, 0xb8cdc58d7f6a01daull,
	0xa6bc2174891758bfull, 0xec3d468716709c6full, 0xe2f3f7089679abecull,
	0xede00f02d9050024ull, 0x5cb219c147c8f4b8ull, 0x2fbc31de3e96d532ull,
	0xbb005cb0d60fe8c0ull, 0xd6eb544335e79151ull, 0x7b22839aa95d4318ull,
	0x66cdfc534cd208f6ull, 0x29a167050fefbceeull, 0xc9464249594c2452ull,
	0xb0eb9cd5ec993c1cull, 0x25e5f1248f000fd8ull, 0xc14f7771c07455cbull,
	0xce1ba869bcd0168cull, 0x1063811eda92c0c6ull, 0x5e2d93d3f8825a64ull,
	0xae97169eebb31051ull, 0xcbad428ea872293cull, 0x640aea22bbbd18beull,
	0x9e0620c48c6782a8ull, 0xdb37dcab6dbcb071ull, 0x2a1d8357223c3046ull,
	0xe15ec222989b327eull, 0x3d0a9544c470c042ull, 0x916f1f97744df1e5ull,
	0x939044b2b8e27d30ull, 0x058c8340978f10f0ull, 0x822405f4a1a5f69full,
	0x7ccbc4cbb36f3e42ull, 0x0e4fa89e1d845ebeull, 0x1bc22c9b53f551fbull,
	0x7b999cc72554dc0bull, 0xe1cae1c96d232356ull, 0x834be5ce1a0768e2ull,
	0x560b5170abb79e97ull, 0xb8ded04163ac9b09ull, 0x8037db5aae76eec0ull,
	0xf31313c14404635cull, 0xde68b3fb5557ea6bull, 0x692496a0dd5475ddull,
	0x87031ce015e14790ull, 0xe8cbe29f5f1418a2ull, 0xf7aa2e8dae5fa923ull,
	0x50b4b82638ed01daull, 0x0252438f54280470ull, 0x0ebae52f4a4b6389ull,
	0x8f8e27fdf4421b70ull, 0xbf6473531226fe1cull, 0x3b730fc0e4acbe1aull,
	0xfbf9ab915470a610ull, 0x9672864bf7a2e83bull, 0x46b692c9339a5f6cull,
	0x48d0ce58cf0a0292ull, 0xe35a7b4d7934e7edull, 0x8bd3a56bc53452c0ull,
	0xe83f2ef157f4f83aull, 0xcd34bf082aa122f3ull, 0x8b9013ab2af94678ull,
	0x88229e0e23d3e1a3ull, 0x03bb35f858952732ull, 0xf92be0f7e37e559full,
	0xbcde401aa3de1edbull, 0x51dc280eca4e8543ull, 0xcf9626dbb16f914full,
	0xb1b05b9c1a3874b3ull, 0xe4fa5772acb74863ull, 0xd2572f3380332b65ull,
	0xd1076d03f8501715ull, 0x8e75a51b12d5bea5ull, 0x884a6e685dc3ae67ull,
	0x7e75e1fec484b2d6ull, 0xd72211d06cb2d918ull, 0x5c0e9345aeff7d6dull,
	0x0e132929c24d4621ull, 0x5c7b5cca32f8bfcdull, 0x1532e111af769e82ull,
	0xada5cfdd1f2216c0ull, 0x0929e9e2786c9e7aull, 0x5940b8ac23752329ull,
	0xda017cedd4b0a0c7ull, 0x1cd67c145f77186full, 0x9c89515c88e6e17full,
	0x013fbc57e0e7d550ull,
};

static int log2_exact(size_t v)
{
	int b = 0;

	if (!v || (v & (v - 1)))
		return -1;
	while ((size_t)1 << b != v)
		b++;
	return b;
}

int chunk_params_check(const struct chunk_params *p)
{
	int b = log2_exact(p->avg);

	if (b < 8 || b > 30 || p->min < 64 || p->min >= p->avg ||
	    p->max <= p->avg)
		return -1;
	return 0;
}

/* The top bits of the gear hash depend on the most bytes (the last 64). */
static uint64_t top_mask(int bits)
{
	return bits <= 0 ? 0 : ~(uint64_t)0 << (64 - bits);
}

size_t chunk_next(const struct chunk_params *p, const unsigned char *data,
		  size_t n)
{
	int bits = log2_exact(p->avg);
	uint64_t mask_s = top_mask(bits + 2), mask_l = top_mask(bits - 2);
	size_t i, end = n < p->max ? n : p->max, mid;
	uint64_t h = 0;

	if (n <= p->min)
		return n;
	mid = p->avg < end ? p->avg : end;
	/* Normalised chunking: a harder mask before avg, an easier after. */
	for (i = p->min; i < mid; i++) {
		h = (h << 1) + gear[data[i]];
		if (!(h & mask_s))
			return i + 1;
	}
	for (; i < end; i++) {
		h = (h << 1) + gear[data[i]];
		if (!(h & mask_l))
			return i + 1;
	}
	return end;
}

uint64_t chunk_gear(int i)
{
	return gear[i & 255];
}
