/* registry.h - link-time registration: a file adds an entry (a control method, a port kind,
 * a configuration section) to a named table without editing any central list. */
#ifndef SLUICE_REGISTRY_H
#define SLUICE_REGISTRY_H

#define SLUICE_REGISTER(sect, type, ident, ...)                                                    \
    static const type ident = __VA_ARGS__;                                                         \
    static const type *const ident##_entry __attribute__((used, section(#sect))) = &ident

#define SLUICE_FOREACH(sect, type, it)                                                             \
    extern const type *const __start_##sect[] __attribute__((weak));                               \
    extern const type *const __stop_##sect[] __attribute__((weak));                                \
    for (const type *const *it = __start_##sect; it && it < __stop_##sect; it++)

#endif
