# wzp_add_gst_plugin(<name> SOURCES <files...> [LIBS <targets...>])
#
# Builds a GStreamer plugin `libgst<name>.so` from a folder of element sources.
# The plugin links the shared GStreamer helper library (gstwzp) and the
# libwzp modules it names in LIBS (e.g. wzp_fec);
# its GST_PLUGIN_DEFINE must use <name> as the plugin name, since GStreamer
# derives the name it expects from the file name.
function(wzp_add_gst_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  set(target gst${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  wzp_target_warnings(${target})
  target_compile_definitions(${target} PRIVATE
    PACKAGE="wzp" VERSION="${PROJECT_VERSION}" GST_LICENSE="LGPL"
    GST_PACKAGE_NAME="wzp" GST_PACKAGE_ORIGIN="${WZP_ORIGIN}" WZP_AUTHOR="${WZP_AUTHOR}")
  target_link_libraries(${target} PRIVATE gstwzp PkgConfig::GST ${ARG_LIBS})
  set_target_properties(${target} PROPERTIES
    PREFIX "lib"
    LIBRARY_OUTPUT_DIRECTORY ${WZP_PLUGIN_OUTPUT_DIR}
    BUILD_RPATH "${CMAKE_BINARY_DIR}/plugins/gstwzp")
  # Installed beside the plugins' folder: libgstwzp in libdir, the plugins in
  # libdir/gstreamer-1.0.
  set_target_properties(${target} PROPERTIES INSTALL_RPATH "$ORIGIN/..")
  install(TARGETS ${target} LIBRARY DESTINATION ${WZP_PLUGIN_INSTALL_DIR})
  set_property(GLOBAL APPEND PROPERTY WZP_GST_PLUGINS ${target})
endfunction()
