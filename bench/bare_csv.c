/* The reference for "what libcsv itself can do here": parse a file in 64
 * KiB reads with CSV_STRICT, count the rows, nothing else.
 *   bare_csv FILE */
#include <csv.h>
#include <stdio.h>

static void on_field(void *s, size_t n, void *d)
{
	(void)s;
	(void)n;
	(void)d;
}

static void on_row(int c, void *d)
{
	(void)c;
	(*(long *)d)++;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	FILE *f = fopen(argv[1], "rb");
	if (f == NULL)
		return 1;
	struct csv_parser p;
	csv_init(&p, CSV_STRICT | CSV_STRICT_FINI);
	char buf[65536];
	size_t n;
	long rows = 0;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		csv_parse(&p, buf, n, on_field, on_row, &rows);
	csv_fini(&p, on_field, on_row, &rows);
	csv_free(&p);
	fclose(f);
	printf("%ld\n", rows);
	return 0;
}
