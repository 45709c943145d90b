# All dependencies come from Debian 12 packages (scripts/setup.sh installs them).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(NGTCP2 REQUIRED IMPORTED_TARGET libngtcp2 libngtcp2_crypto_gnutls gnutls)
pkg_check_modules(OPUS REQUIRED IMPORTED_TARGET opus)
pkg_check_modules(CODEC2 REQUIRED IMPORTED_TARGET codec2)
pkg_check_modules(GLIB REQUIRED IMPORTED_TARGET glib-2.0 gobject-2.0 gio-2.0)
pkg_check_modules(SQLITE REQUIRED IMPORTED_TARGET sqlite3)
pkg_check_modules(SOUP REQUIRED IMPORTED_TARGET libsoup-3.0)
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
find_package(nlohmann_json 3.11 REQUIRED)

if(NOT WZP_FUZZ)
  pkg_check_modules(GST REQUIRED IMPORTED_TARGET
    gstreamer-1.0 gstreamer-base-1.0 gstreamer-audio-1.0 gstreamer-net-1.0)
  pkg_check_modules(GST_CHECK REQUIRED IMPORTED_TARGET gstreamer-check-1.0)
  pkg_check_modules(GST_VIDEO REQUIRED IMPORTED_TARGET gstreamer-video-1.0)
  # Video codecs for wzpsvtav1enc and wzpdav1ddec.
  pkg_check_modules(SVTAV1 REQUIRED IMPORTED_TARGET SvtAv1Enc)
  pkg_check_modules(DAV1D REQUIRED IMPORTED_TARGET dav1d)
endif()
