/* The core's GNU hash (symbols.c: eight characters a step where it can) against the definition, one
 * character at a time, for names of every length up to 40 at every alignment, with every byte value
 * in every position, bounded and unbounded; the bounded form must say "unterminated" when the bound
 * comes first. Each name ends 0 to 7 bytes before the end of a page whose next page is inaccessible,
 * or starts 0 to 7 bytes after the start of one whose previous page is, so that a read of a whole
 * word that crossed into either would fault. Then two more of the lookup's steps: the bucket of a
 * hash without a division, and the comparison of names eight bytes at a time, against % and memcmp. */
#include "check.h"
#include "internal.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static uint32_t reference(const unsigned char *s)
{
    uint32_t h = 5381;
    for (; *s; s++)
        h = h * 33 + *s;
    return h;
}

int main(void)
{
    check_label = "gnu-hash";
    long page = sysconf(_SC_PAGESIZE);
    unsigned char *area = mmap(NULL, (size_t)page * 3, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED || mprotect(area, (size_t)page, PROT_NONE) != 0 ||
        mprotect(area + 2 * page, (size_t)page, PROT_NONE) != 0)
        return check(false, "cannot map a page between two inaccessible ones"), check_summary();
    unsigned char *begin = area + page, *end = area + 2 * page; /* the readable page */
    char where[160] = "";
    bool ok = true;
    unsigned long cases = 0;
    for (size_t len = 0; len <= 40 && ok; len++)
        for (size_t align = 0; align < 8 && ok; align++)
            for (unsigned value = 1; value < 256 && ok; value += (len ? 1 : 255)) {
                /* The name ends (terminator included) at the end of the page, less `align` bytes. */
                unsigned char *name = end - align - len - 1;
                for (size_t i = 0; i < len; i++)
                    name[i] = (unsigned char)('a' + (i * 7 + len) % 26);
                if (len)
                    name[value % len] = (unsigned char)value;
                name[len] = '\0';
                uint32_t want = reference(name);
                struct sym_query q;
                sym_query_init(&q, (const char *)name, NULL);
                struct sym_query b;
                bool terminated = sym_query_init_bounded(&b, (const char *)name, len + 1 + align);
                struct sym_query c;
                bool cut = !sym_query_init_bounded(&c, (const char *)name, len);
                ok = q.gnu_hash == want && q.name_len == len && terminated && b.gnu_hash == want && b.name_len == len &&
                     cut;
                snprintf(where, sizeof(where), "length %zu, %zu bytes before the page's end, byte %u: %#x/%#x/%#x, want %#x",
                         len, align, value, (unsigned)q.gnu_hash, (unsigned)b.gnu_hash, terminated, (unsigned)want);
                cases++;
            }
    /* And names that start 0 to 7 bytes after the start of the page, whose previous page is inaccessible. */
    for (size_t len = 0; len <= 40 && ok; len++)
        for (size_t align = 0; align < 8 && ok; align++) {
            unsigned char *name = begin + align;
            for (size_t i = 0; i < len; i++)
                name[i] = (unsigned char)(0x80 + (i * 5 + len) % 128);
            name[len] = '\0';
            struct sym_query q;
            sym_query_init(&q, (const char *)name, NULL);
            ok = q.gnu_hash == reference(name) && q.name_len == len;
            snprintf(where, sizeof(where), "length %zu, %zu bytes after the page's start", len, align);
            cases++;
        }
    check(ok, "the GNU hash and length of every name agree with the definition (%s)", ok ? "all cases" : where);
    check(cases > 8000, "%lu names hashed", cases);

    /* Names as a library has them: the string table's names, bounded by its size. */
    static const char *const names[] = {"", "a", "printf", "sqlite3_bind_parameter_index",
                                        "_ZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE9_M_createERmm",
                                        "\xff\xfe\x80\x7f", "GLIBC_2.2.5"};
    ok = true;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct sym_query q;
        sym_query_init(&q, names[i], NULL);
        ok &= q.gnu_hash == reference((const unsigned char *)names[i]) && q.name_len == strlen(names[i]);
    }
    check(ok, "known names hash as the definition says");
    /* Two values worked out apart from C (h = h * 33 + c from 5381, in Python). */
    struct sym_query q;
    sym_query_init(&q, "", NULL);
    CHECK_EQ_INT(q.gnu_hash, 5381, "the hash of the empty name");
    sym_query_init(&q, "printf", NULL);
    CHECK_EQ_INT(q.gnu_hash, 0x156b2bb8u, "the hash of printf");
    /* The constants relocation compares chains with, for the names it binds specially. */
    sym_query_init(&q, "__tls_get_addr", NULL);
    CHECK_EQ_INT(q.gnu_hash, GNU_HASH_TLS_GET_ADDR, "the hash of __tls_get_addr");
    sym_query_init(&q, "__cxa_thread_atexit_impl", NULL);
    CHECK_EQ_INT(q.gnu_hash, GNU_HASH_CXA_THREAD_ATEXIT_IMPL, "the hash of __cxa_thread_atexit_impl");

    /* The bucket of a hash without a division: against % for divisors and hashes at the edges and
     * from a generator, on every architecture (the 128-bit product is one instruction or two). */
    static const uint32_t divisors[] = {1, 2, 3, 7, 16, 17, 251, 1021, 4093, 65521, 65536, 1000003, 0x7fffffffu,
                                        0x80000000u, 0xfffffffbu, 0xffffffffu};
    uint64_t state = 0x9e3779b97f4a7c15ull;
    unsigned long buckets_checked = 0;
    ok = true;
    for (size_t i = 0; i < sizeof(divisors) / sizeof(divisors[0]) + 2000 && ok; i++) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t n = i < sizeof(divisors) / sizeof(divisors[0]) ? divisors[i] : (uint32_t)(state >> 32) >> (i % 32);
        if (n == 0)
            n = 1;
        struct dyninfo d;
        memset(&d, 0, sizeof(d));
        d.gnu.nbuckets = n;
        d.gnu.bucket_div = gnu_bucket_div(n);
        const uint32_t edges[] = {0, 1, n - 1, n, n + 1, 2 * n - 1, 0x7fffffffu, 0x80000000u, 0xfffffffeu, 0xffffffffu};
        for (size_t j = 0; j < sizeof(edges) / sizeof(edges[0]) + 500 && ok; j++) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            uint32_t h = j < sizeof(edges) / sizeof(edges[0]) ? edges[j] : (uint32_t)(state >> 29);
            ok = gnu_bucket(&d, h) == h % n;
            snprintf(where, sizeof(where), "%#x %% %u: %u, want %u", (unsigned)h, (unsigned)n, (unsigned)gnu_bucket(&d, h),
                     (unsigned)(h % n));
            buckets_checked++;
        }
    }
    check(ok, "a hash's bucket, without a division, is hash %% nbuckets (%s)", ok ? "all cases" : where);
    check(buckets_checked > 1000000, "%lu buckets worked out", buckets_checked);

    /* The name comparison: equal runs, and runs that differ in one byte, of every length to 40, ending
     * at the end of the readable page or starting at its start, so that a read past either faults. */
    ok = true;
    unsigned long compared = 0;
    static unsigned char other[64];
    for (size_t n = 0; n <= 40 && ok; n++)
        for (int at_start = 0; at_start < 2 && ok; at_start++) {
            unsigned char *run = at_start ? begin : end - n;
            for (size_t i = 0; i < n; i++)
                run[i] = other[i] = (unsigned char)(0x41 + (i * 11 + n) % 190);
            bool same = bytes_equal((const char *)run, (const char *)other, n) &&
                        bytes_equal((const char *)other, (const char *)run, n);
            bool told = true;
            for (size_t i = 0; i < n && told; i++) {
                other[i] ^= 0x80;
                told = !bytes_equal((const char *)run, (const char *)other, n) &&
                       !bytes_equal((const char *)other, (const char *)run, n);
                other[i] ^= 0x80;
            }
            ok = same && told;
            snprintf(where, sizeof(where), "%zu bytes %s the page: %s", n, at_start ? "from the start of" : "to the end of",
                     same ? "a difference missed" : "equal bytes differ");
            compared++;
        }
    check(ok, "byte runs compare as memcmp does (%s)", ok ? "all cases" : where);
    check(compared == 82, "%lu byte runs compared", compared);
    return check_summary();
}
