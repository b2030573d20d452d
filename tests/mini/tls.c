/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tls: __thread variables from several threads. Each thread must start with the initial values
 * (from PT_TLS's image, and zero for the .tbss part), see its own copy only, and find the
 * over-aligned variable aligned. The main thread's block is set up from the auxiliary vector's
 * AT_PHDR (a static program finds PT_TLS there itself).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define THREADS 4

__thread int counter = 42;
__thread char name[32] = "initial";
__thread long zeroed[8];
__thread int aligned_var __attribute__((aligned(64))) = 64;

static pthread_barrier_t barrier;

static int check_own(int id)
{
    int bad = 0;
    if (counter != 42 || strcmp(name, "initial") != 0 || aligned_var != 64)
        bad |= 1;
    for (int i = 0; i < 8; i++)
        if (zeroed[i])
            bad |= 2;
    if ((uintptr_t)&aligned_var % 64)
        bad |= 4;
    counter = 1000 + id;
    snprintf(name, sizeof(name), "thread %d", id);
    zeroed[id % 8] = id;
    pthread_barrier_wait(&barrier); /* everyone has written their copy */
    if (counter != 1000 + id)
        bad |= 8;
    char want[32];
    snprintf(want, sizeof(want), "thread %d", id);
    if (strcmp(name, want) != 0)
        bad |= 16;
    return bad;
}

static void *thread_main(void *arg)
{
    int id = (int)(intptr_t)arg;
    return (void *)(intptr_t)check_own(id);
}

int main(void)
{
    pthread_t threads[THREADS];
    pthread_barrier_init(&barrier, NULL, THREADS + 1);
    for (int i = 0; i < THREADS; i++)
        if (pthread_create(&threads[i], NULL, thread_main, (void *)(intptr_t)(i + 1)) != 0) {
            printf("pthread_create failed\n");
            return 1;
        }
    int failed = 0;
    int main_bad = check_own(0);
    printf("thread 0: %s (%#x)\n", main_bad ? "FAIL" : "ok", main_bad);
    failed |= main_bad;
    for (int i = 0; i < THREADS; i++) {
        void *result;
        pthread_join(threads[i], &result);
        int bad = (int)(intptr_t)result;
        printf("thread %d: %s (%#x)\n", i + 1, bad ? "FAIL" : "ok", bad);
        failed |= bad;
    }
    printf("main after join: counter=%d name=%s\n", counter, name);
    return failed ? 1 : 0;
}
