// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rss-run.c - runs a command and reports its wall time, CPU time and peak
 * resident set size, for the benchmark.
 *
 * Usage: rss-run [-o FILE] COMMAND [ARG...]
 * Forks, execs COMMAND (PATH search), waits with wait4() and writes one
 * line "wall=S user=S sys=S maxrss_kb=K status=N" to FILE (default
 * stderr), leaving the command's own stdout and stderr alone.  maxrss is
 * the child's ru_maxrss, which on Linux covers the largest of it and the
 * descendants it waited for.  Exits with the command's status (128+signal
 * when killed).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
rss_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
rss_tv(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

int
main(int argc, char **argv)
{
	const char *out_path = NULL;
	struct rusage ru;
	double start, wall;
	FILE *out = stderr;
	pid_t pid;
	int status = 0, arg = 1, rc;

	if (argc >= 3 && strcmp(argv[1], "-o") == 0) {
		out_path = argv[2];
		arg = 3;
	}
	if (arg < argc && strcmp(argv[arg], "--") == 0)
		arg++;
	if (arg >= argc) {
		fprintf(stderr, "usage: rss-run [-o FILE] COMMAND [ARG...]\n");
		return 64;
	}
	start = rss_now();
	pid = fork();
	if (pid < 0) {
		perror("rss-run: fork");
		return 71;
	}
	if (pid == 0) {
		execvp(argv[arg], argv + arg);
		fprintf(stderr, "rss-run: %s: %s\n", argv[arg],
		    strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("rss-run: wait4");
			return 71;
		}
	}
	wall = rss_now() - start;
	if (WIFEXITED(status))
		rc = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		rc = 128 + WTERMSIG(status);
	else
		rc = 70;
	if (out_path != NULL && (out = fopen(out_path, "w")) == NULL) {
		perror(out_path);
		return 73;
	}
	fprintf(out, "wall=%.3f user=%.3f sys=%.3f maxrss_kb=%ld status=%d\n",
	    wall, rss_tv(&ru.ru_utime), rss_tv(&ru.ru_stime), ru.ru_maxrss, rc);
	if (out != stderr)
		fclose(out);
	return rc;
}
