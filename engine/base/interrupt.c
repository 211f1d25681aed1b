/*
 * The interrupt flag (see interrupt.h).
 */
#include <signal.h>
#include <string.h>

#include "interrupt.h"

static volatile sig_atomic_t caught, pending;

static void on_signal(int sig)
{
	caught = sig;
	pending = 1;
}

void interrupt_catch(void)
{
	struct sigaction sa;

	caught = pending = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: wait4 returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

void interrupt_release(void)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
}

int interrupt_caught(void)
{
	return caught;
}

int interrupt_pending(void)
{
	return pending;
}

void interrupt_ack(void)
{
	pending = 0;
}
