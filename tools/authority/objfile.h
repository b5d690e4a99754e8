/* SPDX-License-Identifier: MIT */
/* Files of signed objects (objfile.c). */
#ifndef KF_TOOLS_OBJFILE_H
#define KF_TOOLS_OBJFILE_H

#include <stddef.h>
#include <stdint.h>

#include "tools/authority/authority.h"

#define KF_FILE_SUBMISSION	"keyferry-submission 1"
#define KF_FILE_CERTIFICATE	"keyferry-certificate 1"
#define KF_FILE_REVOCATIONS	"keyferry-revocation-list 1"

/* notes: comment lines, each starting with "# " and ending with '\n'. */
int kf_objfile_write(const char *path, const char *magic, const char *notes,
		     const uint8_t *bytes, size_t len);
/* The first line of a file: which kind of object it holds. */
int kf_objfile_kind(const char *path, char *magic, size_t cap);
/* The object's bytes in a fresh buffer the caller frees; errors reported. */
int kf_objfile_read(const char *path, const char *magic, uint8_t **bytes,
		    size_t *len);

#endif /* KF_TOOLS_OBJFILE_H */
