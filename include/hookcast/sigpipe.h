/*
 * sigpipe.h: signals as bytes on a pipe, so that one event loop can wait for
 * them (as an extra fd of curl_multi_poll) and act outside the handler.
 * The pipe is the process's only mutable global (see STYLE.md).
 */
#ifndef HOOKCAST_SIGPIPE_H
#define HOOKCAST_SIGPIPE_H

/* Route SIGINT, SIGTERM and SIGHUP (and SIGWINCH when winch is set) to
 * the pipe; ignore SIGPIPE. Returns the read end, or -1. */
int sigpipe_install(int winch);
/* The next signal number waiting, or 0 when none. */
int sigpipe_next(void);

#endif
