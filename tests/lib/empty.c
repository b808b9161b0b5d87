/* Keeps the test helper library non-empty. */
int usagi_testlib_empty;
