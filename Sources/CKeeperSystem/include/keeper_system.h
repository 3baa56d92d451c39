#ifndef KEEPER_SYSTEM_H
#define KEEPER_SYSTEM_H

#include <sys/types.h>

/// Spawns `file` (searched in PATH) in its own process group with default signal dispositions and an
/// empty signal mask, its stdin/stdout/stderr on the given descriptors and its working directory `cwd`
/// (NULL: ours). Returns 0 or an errno value.
int keeper_spawn(const char *file, char *const argv[], char *const envp[], const char *cwd,
                 int stdin_fd, int stdout_fd, int stderr_fd, pid_t *pid_out);

/// pipe2(O_CLOEXEC): both ends close on exec, so no child inherits a descriptor it was not given.
int keeper_pipe_cloexec(int fds[2]);

/// Names the calling thread (at most 15 bytes are kept), for top -H, perf and /proc. Returns 0 or an errno value.
int keeper_name_this_thread(const char *name);

/// The calling thread's name, into `buffer` of `size` bytes. Returns 0 or an errno value.
int keeper_this_thread_name(char *buffer, size_t size);

#endif
