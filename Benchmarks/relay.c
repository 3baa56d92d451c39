/* The physical floor of a stdio MCP proxy: starts the command after `--` and copies bytes both
 * ways between our stdin/stdout and its pipes with poll, read and write. No parsing, no framing:
 * whatever a real proxy adds beyond this is its own cost. Built by Benchmarks/run.sh. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int write_all(int fd, const char *buf, ssize_t len) {
    while (len > 0) {
        ssize_t n = write(fd, buf, (size_t)len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        buf += n;
        len -= n;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3 || strcmp(argv[1], "--") != 0) {
        fprintf(stderr, "usage: relay -- COMMAND [ARGS...]\n");
        return 64;
    }
    int to_child[2], from_child[2];
    if (pipe(to_child) != 0 || pipe(from_child) != 0) {
        perror("relay: pipe");
        return 1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("relay: fork");
        return 1;
    }
    if (pid == 0) {
        dup2(to_child[0], 0);
        dup2(from_child[1], 1);
        close(to_child[0]); close(to_child[1]); close(from_child[0]); close(from_child[1]);
        execvp(argv[2], argv + 2);
        perror("relay: exec");
        _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    signal(SIGPIPE, SIG_IGN);
    struct pollfd fds[2] = {{.fd = 0, .events = POLLIN}, {.fd = from_child[0], .events = POLLIN}};
    static char buf[1 << 16];
    int open_ends = 2;
    while (open_ends > 0) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = read(fds[i].fd, buf, sizeof buf);
            int out = i == 0 ? to_child[1] : 1;
            if (n <= 0 || write_all(out, buf, n) != 0) {
                if (i == 0) close(to_child[1]);
                fds[i].fd = -1;
                open_ends--;
            }
        }
        if (fds[1].fd < 0) break; /* the child's output ended: nothing more to relay */
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
