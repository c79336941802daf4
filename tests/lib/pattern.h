/*
 * The byte pattern tests/helpers/child writes (--stdout, --stderr) and
 * the supervision tests check: byte I of stream S is the high bits of an
 * LCG step, so a lost, duplicated or reordered chunk shows anywhere.
 */
#ifndef TESTS_PATTERN_H
#define TESTS_PATTERN_H

static inline unsigned char
pattern_byte(unsigned long long i, unsigned stream)
{
	unsigned long long x = (i + stream * 0x9e3779b97f4a7c15ULL) *
				       6364136223846793005ULL +
			       1442695040888963407ULL;

	return (unsigned char)(x >> 33);
}

#endif
