/*
 * cairn: a declarative build-graph orchestrator for ML and scientific
 * experiments.  Everything lives in the library; see cli.c for the
 * commands and docs/ for the manual.
 */
#include "cli.h"

int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
