# A Debian package of the programs, plugins and wzp-signald's systemd unit:
#   cmake -S . -B build-deb -G Ninja -DCMAKE_INSTALL_PREFIX=/usr -DWZP_BUILD_TESTS=OFF -DWZP_BUILD_BENCH=OFF
#   cmake --build build-deb && (cd build-deb && cpack -G DEB)
# With prefix /usr the plugins land in /usr/lib/<triplet>/gstreamer-1.0,
# where the system's GStreamer finds them too.
set(CPACK_PACKAGE_NAME wzp)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${WZP_AUTHOR}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "calls that survive hostile networks: GStreamer elements, wzp and wzp-signald")
set(CPACK_PACKAGE_HOMEPAGE_URL "${WZP_ORIGIN}")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
# Dependencies from the shared libraries' Debian packages (dpkg-shlibdeps).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/postinst ${PROJECT_SOURCE_DIR}/packaging/prerm
  ${PROJECT_SOURCE_DIR}/packaging/postrm ${PROJECT_SOURCE_DIR}/packaging/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
