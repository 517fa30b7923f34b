# `cpack -G DEB` in the build tree (tests/packaging/check.sh does it): /usr/bin/procflow, the
# systemd unit, the commented default config as a conffile, the docs.
include(GNUInstallDirs)

install(TARGETS procflow RUNTIME DESTINATION bin)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/procflow.service DESTINATION lib/systemd/system)
# An absolute path: a conffile under /etc, whatever the prefix.
install(FILES ${PROJECT_SOURCE_DIR}/deploy/procflow.yaml DESTINATION /etc/procflow)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/architecture.md
              ${PROJECT_SOURCE_DIR}/docs/attach-plan.md ${PROJECT_SOURCE_DIR}/docs/events.md
              ${PROJECT_SOURCE_DIR}/docs/deployment.md ${PROJECT_SOURCE_DIR}/docs/operations.md
        DESTINATION share/doc/procflow)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/debian/copyright DESTINATION share/doc/procflow)
# Debian wants the changelog compressed, named changelog.gz in a native package.
set(PROCFLOW_CHANGELOG_GZ ${PROJECT_BINARY_DIR}/changelog.gz)
add_custom_command(OUTPUT ${PROCFLOW_CHANGELOG_GZ}
  COMMAND gzip -9n -c ${PROJECT_SOURCE_DIR}/deploy/debian/changelog > ${PROCFLOW_CHANGELOG_GZ}
  DEPENDS ${PROJECT_SOURCE_DIR}/deploy/debian/changelog)
add_custom_target(procflow_changelog ALL DEPENDS ${PROCFLOW_CHANGELOG_GZ})
install(FILES ${PROCFLOW_CHANGELOG_GZ} DESTINATION share/doc/procflow)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME procflow)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "procflow authors <dev@procflow.example>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The unit's ExecReload runs /bin/kill, which procps ships; a minimal Debian
# system does not have it (tests/vm/run-service-vm.sh found that). The
# libraries dpkg-shlibdeps finds are added to this list.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "procps")
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "process-aware network flow tracer (eBPF)")
set(CPACK_PACKAGE_DESCRIPTION
    "procflow reports, for every TCP and UDP flow on a Linux host, which process\nopened it, who ran it, where it went by name, and how much it moved, as\nMITRE CAR flow events (or OCSF/ECS). It runs as a command or as a systemd\nservice with file outputs, SIGHUP reload and least privilege.")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/deploy/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
