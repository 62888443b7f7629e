// icount: counts the user-space instructions a program executes, in all its threads, between
// the moment it raises SIGUSR1 and the moment it raises SIGUSR2, by single-stepping it with
// ptrace. It needs no hardware counters (this machine's VM has none), and unlike timings the
// count barely depends on how busy the machine is. It is slow, a few microseconds per
// instruction counted, so the window should hold a few million instructions, not billions.
//
//   cc -O2 -o icount scripts/bench/icount.c
//   ./icount taskwire bench fanout --subscribers 1000 --messages 20 --mark-window --json
//
// Prints "icount: N instructions" on standard error and exits with the program's status.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_THREADS 4096

static pid_t threads[MAX_THREADS];
static int thread_count;

static void add_thread(pid_t tid) {
    if (thread_count < MAX_THREADS) threads[thread_count++] = tid;
}

static void remove_thread(pid_t tid) {
    for (int i = 0; i < thread_count; i++) {
        if (threads[i] == tid) {
            threads[i] = threads[--thread_count];
            return;
        }
    }
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: icount PROGRAM [ARGUMENTS...]\n");
        return 2;
    }
    pid_t child = fork();
    if (child < 0) {
        perror("icount: fork");
        return 2;
    }
    if (child == 0) {
        ptrace(PTRACE_TRACEME, 0, NULL, NULL);
        execvp(argv[1], argv + 1);
        perror("icount: exec");
        _exit(127);
    }
    int status;
    if (waitpid(child, &status, 0) < 0 || !WIFSTOPPED(status)) {
        fprintf(stderr, "icount: %s did not start\n", argv[1]);
        return 2;
    }
    ptrace(PTRACE_SETOPTIONS, child, NULL, (void *)(long)(PTRACE_O_TRACECLONE | PTRACE_O_EXITKILL));
    add_thread(child);
    ptrace(PTRACE_CONT, child, NULL, NULL);

    int counting = 0, windows = 0, exit_status = 1;
    unsigned long long count = 0;
    for (;;) {
        pid_t tid = waitpid(-1, &status, __WALL);
        if (tid < 0) {
            if (errno == EINTR) continue;
            break;  // no traced thread is left
        }
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
            remove_thread(tid);
            if (tid == child) exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            continue;
        }
        if (!WIFSTOPPED(status)) continue;
        int signal = WSTOPSIG(status), event = status >> 16, deliver = 0;
        if (signal == SIGTRAP && event == PTRACE_EVENT_CLONE) {
            unsigned long created;
            ptrace(PTRACE_GETEVENTMSG, tid, NULL, &created);
            add_thread((pid_t)created);  // it starts with a SIGSTOP of its own, swallowed below
        } else if (signal == SIGTRAP && event == 0) {
            if (counting) count++;  // one single step
        } else if (signal == SIGUSR1 && !counting) {
            counting = 1;
            // The other threads run freely: stop each, to single-step it from its next stop on.
            for (int i = 0; i < thread_count; i++) {
                if (threads[i] != tid) syscall(SYS_tgkill, child, threads[i], SIGSTOP);
            }
        } else if (signal == SIGUSR2 && counting) {
            counting = 0;
            windows++;
        } else if (signal != SIGSTOP) {
            deliver = signal;
        }
        ptrace(counting ? PTRACE_SINGLESTEP : PTRACE_CONT, tid, NULL, (void *)(long)deliver);
    }
    if (windows != 1) {
        fprintf(stderr, "icount: the program marked %d windows (SIGUSR1 ... SIGUSR2), not one\n", windows);
        return exit_status ? exit_status : 2;
    }
    fprintf(stderr, "icount: %llu instructions\n", count);
    return exit_status;
}
