// SPDX-License-Identifier: MIT
/* The --net option value: tap=NAME|fd=N[,mac=..][,mtu=N][,id=ID][,rx_rate=..][,tx_rate=..]. */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "devices/net.h"
#include "vmm/kv_list.h"
#include "vmm/util.h"

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -1)

enum net_key { KEY_TAP, KEY_FD, KEY_MAC, KEY_MTU, KEY_ID, KEY_RX_RATE, KEY_TX_RATE, KEY__COUNT };

static const char *const key_names[KEY__COUNT] = {
	[KEY_TAP] = "tap", [KEY_FD] = "fd", [KEY_MAC] = "mac", [KEY_MTU] = "mtu",
	[KEY_ID] = "id", [KEY_RX_RATE] = "rx_rate", [KEY_TX_RATE] = "tx_rate",
};

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Exactly xx:xx:xx:xx:xx:xx, unicast and not all zeroes. */
static int parse_mac(const char *s, uint8_t mac[6], char *err, size_t errlen)
{
	unsigned nonzero = 0;

	if (strlen(s) != 17)
		return ERR("mac=%s: expected xx:xx:xx:xx:xx:xx", s);
	for (unsigned i = 0; i < 6; i++) {
		int hi = hex_digit(s[3 * i]), lo = hex_digit(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return ERR("mac=%s: expected xx:xx:xx:xx:xx:xx", s);
		mac[i] = (uint8_t)(hi << 4 | lo);
		nonzero |= mac[i];
	}
	if (mac[0] & 1)
		return ERR("mac=%s is a multicast address", s);
	if (!nonzero)
		return ERR("mac=%s is all zeroes", s);
	return 0;
}

/* What the kernel takes as an interface name: no '/', ':' or whitespace, not "." or "..". */
static bool ifname_ok(const char *s)
{
	if (!*s || strlen(s) >= IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '/' || c == ':' || isspace(c) || !isprint(c))
			return false;
	}
	return true;
}

static int apply(struct net_config *c, enum net_key key, const char *val, char *err,
		 size_t errlen)
{
	char rate_err[160];
	uint64_t v;

	switch (key) {
	case KEY_TAP:
		if (!ifname_ok(val))
			return ERR("tap=%s: not an interface name (1 to %d characters, no '/', ':' "
				   "or spaces)", val, IFNAMSIZ - 1);
		memcpy(c->tap_name, val, strlen(val) + 1);
		return 0;
	case KEY_FD:
		if (parse_u64(val, &v, false) || v > INT_MAX)
			return ERR("fd=%s is not a file descriptor number", val);
		if (v < 3)
			return ERR("fd=%s is standard input, output or error", val);
		c->tap_fd = (int)v;
		return 0;
	case KEY_MAC:
		if (parse_mac(val, c->mac, err, errlen))
			return -1;
		c->mac_set = true;
		return 0;
	case KEY_MTU:
		if (parse_u64(val, &v, false) || v < NET_MTU_MIN || v > NET_MTU_MAX)
			return ERR("mtu=%s: expected %d to %d", val, NET_MTU_MIN, NET_MTU_MAX);
		c->mtu = (unsigned)v;
		return 0;
	case KEY_ID:
		if (!*val || strlen(val) > NET_ID_MAX)
			return ERR("id must be 1 to %d characters", NET_ID_MAX);
		memcpy(c->id, val, strlen(val) + 1);
		return 0;
	case KEY_RX_RATE:
	case KEY_TX_RATE:
		if (rate_limit_parse(val, key == KEY_RX_RATE ? &c->rx_rate : &c->tx_rate, rate_err,
				     sizeof(rate_err)))
			return ERR("%s: %s", key_names[key], rate_err);
		return 0;
	default:
		return -1;
	}
}

int net_config_parse(const char *spec, struct net_config *out, char *err, size_t errlen)
{
	struct net_config c = { .tap_fd = -1, .mtu = NET_MTU_DEFAULT };
	bool seen[KEY__COUNT] = { false };
	const char *cursor = spec ? spec : "";
	struct kv_pair kv;
	int r;

	while ((r = kv_list_next(&cursor, &kv, err, errlen)) > 0) {
		unsigned k = 0;

		while (k < KEY__COUNT && strcmp(kv.key, key_names[k]))
			k++;
		if (k == KEY__COUNT)
			return ERR("unknown key '%s' (expected tap, fd, mac, mtu, id, rx_rate, "
				   "tx_rate)", kv.key);
		if (seen[k])
			return ERR("%s given twice", kv.key);
		seen[k] = true;
		if (apply(&c, (enum net_key)k, kv.val, err, errlen))
			return -1;
	}
	if (r < 0)
		return -1;
	if (seen[KEY_TAP] == seen[KEY_FD])
		return ERR("exactly one of tap=NAME or fd=N is required");
	*out = c;
	return 0;
}
