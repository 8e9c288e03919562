/*
 * fuzz_conf.c - libFuzzer target: dkimd.conf files
 *
 * Any bytes as a configuration file, loaded by conf_load() with its
 * tables and keys. setup() leaves a KeyTable (./fuzz-keys), a
 * SigningTable (./fuzz-signing) and a key (./fuzzkey.pem) in the working
 * directory, so seeds that name them load completely. A loaded
 * configuration must have a mode and well-formed On-* actions.
 */
#include "fuzzfile.h"

#include "conf.h"

int	LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* setup - the files that seeds may name */
static void
setup(void)
{
	FILE	*f;

	fuzzfile_copy(VECTORS "/rfc8463/brisbane.ed25519.pem", "fuzzkey.pem");
	if ((f = fopen("fuzz-keys", "w")) == NULL)
		abort();
	fprintf(f, "k1 example.com:brisbane:./fuzzkey.pem\n"
	    "k2 %%:sel:./fuzzkey.pem\n");
	fclose(f);
	if ((f = fopen("fuzz-signing", "w")) == NULL)
		abort();
	fprintf(f, "*@example.com k1\n*@* k2 %%-signer@%%\n");
	fclose(f);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static int ready;
	struct conf *c;
	int	i;

	if (!ready) {
		setup();
		ready = 1;
	}
	c = conf_load(fuzzfile_path(0, data, size), fuzzfile_report, NULL);
	if (c != NULL) {
		if (!c->sign && !c->verify)
			abort();
		for (i = 0; i < CONF_ON_MAX; i++)
			if (conf_action_name(conf_action(c, i)) == NULL)
				abort();
		(void)conf_mta_match(c, "ORIGINATING");
	}
	conf_free(c);
	return 0;
}
