/**
 * NestJS on Express: Nest installs JSON and urlencoded body parsers for every route, so create the
 * app with { rawBody: true }: they then keep the bytes OSS signed in req.rawBody, which the handler
 * uses. Global prefixes and controller paths are fine: the handler signs req.originalUrl.
 */
import { Controller, Module, Post, Req, Res } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Request, Response } from 'express';
import { createReceiver } from 'oss-upload-callback';
import { nodeHandler } from 'oss-upload-callback/node';

const onCallback = nodeHandler(createReceiver());

@Controller('oss')
class OssCallbackController {
  // @Res(): the handler writes the answer itself.
  @Post('callback')
  async callback(@Req() req: Request, @Res() res: Response): Promise<void> {
    await onCallback(req, res);
  }
}

@Module({ controllers: [OssCallbackController] })
class AppModule {}

const app = await NestFactory.create(AppModule, { rawBody: true });
app.setGlobalPrefix('api'); // OSS's callbackUrl: https://api.example.com/api/oss/callback
await app.listen(3000);
