/* test_statefile.c - the configuration store: atomic replacement, a crash's leftover
 * temporary file is never read, missing and oversized files are reported. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "statefile.h"

int main(void)
{
    char dir[] = "/tmp/sluice-statefile-XXXXXX", err[256];
    CHECK(mkdtemp(dir) != NULL);
    char sub[128];
    snprintf(sub, sizeof(sub), "%s/state", dir);
    CHECK_EQ(statefile_dir(sub, err, sizeof(err)), 0);
    CHECK_EQ(statefile_dir(sub, err, sizeof(err)), 0); /* exists already: fine */

    char *data = NULL;
    size_t len = 0;
    CHECK_EQ(statefile_read(sub, "config.json", 1024, &data, &len, err, sizeof(err)), 1);
    CHECK_EQ(statefile_write(sub, "config.json", "{\"v\":1}", 7, err, sizeof(err)), 0);
    CHECK_EQ(statefile_read(sub, "config.json", 1024, &data, &len, err, sizeof(err)), 0);
    CHECK_EQ(len, 7);
    CHECK_STR(data, "{\"v\":1}");
    free(data);
    /* It may hold secrets: readable by its owner only. */
    char path[256];
    snprintf(path, sizeof(path), "%s/config.json", sub);
    struct stat st;
    CHECK_EQ(stat(path, &st), 0);
    CHECK_EQ(st.st_mode & 0777, 0600);

    /* A crash mid-write leaves the temporary file half written: the reader never sees it,
     * and the next write replaces it. */
    char tmp[256];
    snprintf(tmp, sizeof(tmp), "%s/.config.json.tmp", sub);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0640);
    CHECK(write(fd, "{\"v\":", 5) == 5);
    close(fd);
    CHECK_EQ(statefile_read(sub, "config.json", 1024, &data, &len, err, sizeof(err)), 0);
    CHECK_STR(data, "{\"v\":1}");
    free(data);
    CHECK_EQ(statefile_write(sub, "config.json", "{\"v\":2}", 7, err, sizeof(err)), 0);
    CHECK(access(tmp, F_OK) != 0);
    CHECK_EQ(statefile_read(sub, "config.json", 1024, &data, &len, err, sizeof(err)), 0);
    CHECK_STR(data, "{\"v\":2}");
    free(data);

    CHECK_EQ(statefile_read(sub, "config.json", 3, &data, &len, err, sizeof(err)), -1);
    CHECK(strstr(err, "larger") != NULL);
    /* A directory that cannot be written: the old file stays. */
    if (geteuid() != 0) {
        chmod(sub, 0500);
        CHECK_EQ(statefile_write(sub, "config.json", "x", 1, err, sizeof(err)), -1);
        chmod(sub, 0750);
    }
    CHECK_EQ(statefile_write("/nonexistent-dir-for-test", "c", "x", 1, err, sizeof(err)), -1);
    CHECK(strstr(err, "cannot write") != NULL);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK_EQ(system(cmd), 0);
    return check_exit();
}
