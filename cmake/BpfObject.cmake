# bpf_object(NAME SOURCE)
#
# Compiles one CO-RE BPF program (SOURCE, a *.bpf.c file) with clang and turns
# the object into a libbpf skeleton header with bpftool. The result is an
# INTERFACE library NAME: linking it adds the directory holding
# <stem>.skel.h to the include path and makes the consumer rebuild whenever the
# BPF source or any header it includes changes (clang's depfile drives that).

find_program(BPF_CLANG NAMES clang-16 clang-14 clang REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|amd64")
  set(BPF_TARGET_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(BPF_TARGET_ARCH arm64)
else()
  message(FATAL_ERROR "no vmlinux.h for ${CMAKE_SYSTEM_PROCESSOR}; see vmlinux/README.md")
endif()

set(BPF_VMLINUX_DIR ${CMAKE_CURRENT_SOURCE_DIR}/vmlinux/${BPF_TARGET_ARCH})

function(bpf_object name source)
  get_filename_component(stem ${source} NAME_WE)
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/bpf)
  set(object ${out_dir}/${stem}.bpf.o)
  set(skeleton ${out_dir}/${stem}.skel.h)
  file(MAKE_DIRECTORY ${out_dir})

  add_custom_command(
    OUTPUT ${object}
    COMMAND ${BPF_CLANG} -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_${BPF_TARGET_ARCH}
            -I${BPF_VMLINUX_DIR} -I${CMAKE_CURRENT_SOURCE_DIR}/bpf
            -MD -MF ${object}.d
            -c ${source} -o ${object}
    DEPFILE ${object}.d
    DEPENDS ${source}
    COMMENT "BPF ${stem}.bpf.c"
    VERBATIM)

  add_custom_command(
    OUTPUT ${skeleton}
    COMMAND ${BPFTOOL} gen skeleton ${object} name ${stem}_bpf > ${skeleton}
    DEPENDS ${object}
    COMMENT "skeleton ${stem}.skel.h"
    VERBATIM)

  add_custom_target(${name}_gen DEPENDS ${skeleton})
  add_library(${name} INTERFACE)
  add_dependencies(${name} ${name}_gen)
  target_include_directories(${name} INTERFACE ${out_dir})
endfunction()
