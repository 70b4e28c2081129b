// System calls Swift cannot reach directly on Linux: peer credentials and detached process start.
#ifndef BANDIT_SYSTEM_H
#define BANDIT_SYSTEM_H
#include <sys/types.h>

/// The uid of the process at the other end of a Unix socket (SO_PEERCRED); 0 on success.
int bandit_peer_uid(int fd, uid_t *uid);

/// Starts `path` with `argv` in a new session (setsid), stdin from /dev/null, stdout and stderr to
/// `output` (or /dev/null when NULL), nothing blocked, default signal dispositions; 0 on success.
int bandit_spawn_detached(const char *path, char *const argv[], const char *output, pid_t *pid);
#endif
