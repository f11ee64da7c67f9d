// The few NestJS declarations examples/nestjs.ts uses, written here so CI typechecks the example
// without installing NestJS (large, and not otherwise needed). Signatures as in @nestjs/common and
// @nestjs/core 11.
declare module '@nestjs/common' {
  export function Controller(prefix?: string): ClassDecorator;
  export function Module(metadata: { controllers?: Function[]; providers?: unknown[]; imports?: unknown[] }): ClassDecorator;
  export function Post(path?: string): MethodDecorator;
  export function Req(): ParameterDecorator;
  export function Res(options?: { passthrough: boolean }): ParameterDecorator;
  export interface INestApplication {
    setGlobalPrefix(prefix: string): this;
    listen(port: number | string, hostname?: string): Promise<unknown>;
  }
}

declare module '@nestjs/core' {
  import type { INestApplication } from '@nestjs/common';
  export const NestFactory: {
    create(module: Function, options?: { rawBody?: boolean; bodyParser?: boolean }): Promise<INestApplication>;
  };
}
