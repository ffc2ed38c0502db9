{
  "targets": [
    {
      "target_name": "prober",
      "sources": ["native/prober.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    },
    {
      "target_name": "pipe",
      "sources": ["native/pipe.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
