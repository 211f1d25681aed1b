/*
 * interrupt.h: the one piece of process-wide state in the engine.  A
 * signal handler can only set a flag; the run installs the handler for
 * its duration and looks at the flag between steps.  An executor that
 * waits in small naps (a cluster's) returns from its wait while a signal
 * is pending, so one that lands while it runs a helper command is not
 * lost; the run acknowledges it before it waits for the stopped jobs.
 */
#ifndef CAIRN_INTERRUPT_H
#define CAIRN_INTERRUPT_H

/* Catch SIGINT, SIGTERM and SIGHUP (without SA_RESTART, so a blocking
 * wait returns) and clear the flag. */
void interrupt_catch(void);

/* Back to the default actions. */
void interrupt_release(void);

/* The signal caught since interrupt_catch, or 0. */
int interrupt_caught(void);

/* Whether a signal came that the run has not acknowledged. */
int interrupt_pending(void);
void interrupt_ack(void);

#endif
