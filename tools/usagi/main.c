#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	fprintf(stderr, "usagi: under construction\n");
	return argc > 1 && strcmp(argv[1], "demo") == 0 ? 0 : 2;
}
