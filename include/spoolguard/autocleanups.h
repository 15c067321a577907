/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * autocleanups.h - g_autoptr() support for GMime 3.2 and libmagic, which
 * ship none.  Include after <gmime/gmime.h> and <magic.h>.
 */
#ifndef SPOOLGUARD_AUTOCLEANUPS_H
#define SPOOLGUARD_AUTOCLEANUPS_H

#include <glib.h>

#include <gmime/gmime.h>
#include <magic.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeStream, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeParser, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeMessage, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeObject, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeDataWrapper, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeFilter, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeContentType, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeContentDisposition, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeParamList, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GMimeParserOptions, g_mime_parser_options_free)

typedef struct magic_set SgMagic;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SgMagic, magic_close)

#endif /* SPOOLGUARD_AUTOCLEANUPS_H */
